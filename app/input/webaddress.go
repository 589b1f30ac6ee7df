package input

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// WebAddressMax is the longest web address people may give for others to
// click (resources, campaign links).
const WebAddressMax = 2000

// Messages said of a refused web address, for the moderator who typed it.
const (
	MsgAddressEmpty     = "Give the web address, starting with https://."
	MsgAddressScheme    = "Only web addresses starting with https:// or http:// can be linked."
	MsgAddressHost      = "The address needs a site name, such as https://www.example.org/page."
	MsgAddressUser      = "The address may not hold a user name or password (the part before @): remove it."
	MsgAddressPort      = "The port after the site name (the number after the colon) must be a number from 1 to 65535."
	MsgAddressSpace     = "The address may not hold spaces or backslashes. Copy it again from the browser's address bar."
	MsgAddressHidden    = "The address holds an invisible or control character (perhaps pasted with it). Please type or copy it again."
	MsgAddressBidi      = "The address holds a character that reverses the direction of text, which can make a link look like another site. Please remove it."
	MsgAddressLocal     = "The address leads to this computer or to a private network, which readers cannot open: give the public address of the site."
	MsgAddressSingle    = "The site name must be a full public name with a dot, such as example.org."
	MsgAddressBadName   = "The site name is not a valid name (check its letters, dots and hyphens)."
	MsgAddressNumbers   = "The site name looks like a numeric (IP) address written in an unusual way: give the site's name instead."
	MsgAddressNotParsed = "That is not a web address. Copy it from the browser's address bar."
	MsgAddressLong      = "The address must be at most 2,000 characters."
)

// hostProfile maps a site name as browsers do (UTS #46: full-width letters
// and dots become ASCII, capitals become small) and checks it; labels with
// underscores, which some real hosts use, are allowed.
var hostProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.CheckJoiners(true), idna.StrictDomainName(false), idna.Transitional(false))

// WebAddress checks a web address that people will click and returns it
// normalised (scheme and site name in small letters, the site name in its
// ASCII form, xn-- only for a name that really holds other letters), or
// the problem, said for the person who typed it. It accepts absolute http
// and https addresses with a public site name; it refuses user names and
// passwords, bad ports, control, direction-changing and invisible
// characters anywhere, localhost, one-label names, and IP addresses of
// loopback, private, link-local or unspecified ranges.
func WebAddress(raw string) (normalised, problem string) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return "", MsgAddressEmpty
	case utf8.RuneCountInString(raw) > WebAddressMax:
		return "", MsgAddressLong
	case !utf8.ValidString(raw) || strings.IndexByte(raw, 0) >= 0:
		return "", MsgNotText
	}
	for _, r := range raw {
		switch {
		case isBidiControl(r):
			return "", MsgAddressBidi
		case isControl(r) || isDirMark(r) || hiddenInAddress(r):
			return "", MsgAddressHidden
		case unicode.IsSpace(r) || r == '\\':
			return "", MsgAddressSpace
		}
	}
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok || !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "http") {
		return "", MsgAddressScheme
	}
	if !strings.HasPrefix(rest, "//") {
		return "", MsgAddressHost
	}
	if p := authorityPort(rest[2:]); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", MsgAddressPort
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", MsgAddressNotParsed
	}
	if u.User != nil {
		return "", MsgAddressUser
	}
	host := u.Hostname()
	if host == "" || u.Opaque != "" {
		return "", MsgAddressHost
	}
	ascii, problem := webHost(host)
	if problem != "" {
		return "", problem
	}
	port := u.Port()
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = ascii
	if strings.Contains(ascii, ":") {
		u.Host = "[" + ascii + "]"
	}
	if port != "" {
		u.Host += ":" + port
	}
	out := u.String()
	if utf8.RuneCountInString(out) > WebAddressMax {
		return "", MsgAddressLong
	}
	return out, ""
}

// WebHost is the site name of an address that passed WebAddress, as shown
// beside its link, or "" when it has none.
func WebHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	ascii, problem := webHost(u.Hostname())
	if problem != "" {
		return strings.ToLower(u.Hostname())
	}
	return ascii
}

// authorityPort is the port written in an address's authority (the part
// after "//" up to the path), or "".
func authorityPort(s string) string {
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if strings.HasPrefix(s, "[") {
		if i := strings.IndexByte(s, ']'); i >= 0 {
			s = s[i+1:]
		}
	}
	_, port, ok := strings.Cut(s, ":")
	if !ok {
		return ""
	}
	return port
}

// webHost checks a site name and returns its ASCII form.
func webHost(host string) (string, string) {
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() ||
			ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || (ip.Is4() && ip.As4()[0] == 100 && ip.As4()[1]&0xc0 == 64) {
			return "", MsgAddressLocal
		}
		return ip.String(), ""
	}
	if strings.Contains(host, "%") {
		return "", MsgAddressBadName
	}
	ascii, err := hostProfile.ToASCII(host)
	if err != nil || ascii == "" {
		return "", MsgAddressBadName
	}
	ascii = strings.TrimSuffix(ascii, ".")
	for _, r := range ascii {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return "", MsgAddressBadName
		}
	}
	labels := strings.Split(ascii, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "", MsgAddressBadName
		}
	}
	// Names that never lead to a public site: this computer, the local
	// network and names set aside for private use (RFC 6761, 6762, 8375;
	// .internal, ICANN's private-use name, e.g. cloud metadata services).
	for _, private := range []string{"localhost", "local", "internal", "home.arpa", "lan", "invalid", "test"} {
		if ascii == private || strings.HasSuffix(ascii, "."+private) {
			return "", MsgAddressLocal
		}
	}
	// A last label of digits (or 0x…) makes browsers read the whole name
	// as an IPv4 address in another notation (127.1, 0x7f.0.0.1).
	if last := labels[len(labels)-1]; isNumericLabel(last) {
		return "", MsgAddressNumbers
	}
	if len(labels) < 2 {
		return "", MsgAddressSingle
	}
	return ascii, ""
}

func isNumericLabel(l string) bool {
	if h, ok := strings.CutPrefix(l, "0x"); ok {
		return strings.Trim(h, "0123456789abcdef") == ""
	}
	return strings.Trim(l, "0123456789") == ""
}

// hiddenInAddress: characters that draw nothing (IsInvisible), except
// combining marks, which names in some scripts need after a letter.
func hiddenInAddress(r rune) bool {
	if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) {
		return r == 0x034f
	}
	return IsInvisible(r)
}
