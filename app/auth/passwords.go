package auth

import (
	_ "embed"
	"strings"
	"unicode"

	"github.com/alexedwards/argon2id"
)

//go:embed common_passwords.txt
var commonPasswordsText string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordsText, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	return m
}()

func isFiller(r rune) bool {
	return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r)
}

// isCommonPassword refuses the passwords attackers try first: list words
// padded with digits or punctuation, one repeated character, and keyboard
// or digit runs.
func isCommonPassword(p string) bool {
	lower := strings.ToLower(p)
	if commonPasswords[lower] {
		return true
	}
	core := strings.TrimFunc(lower, isFiller)
	if core == "" {
		// Only digits and punctuation: refuse runs and repeats.
		return isSequence(lower) || isRepeat(lower)
	}
	if commonPasswords[core] {
		return true
	}
	// The same word twice ("monkeymonkey") is no stronger than once.
	if n := len(core); n%2 == 0 && core[:n/2] == core[n/2:] && commonPasswords[core[:n/2]] {
		return true
	}
	return isRepeat(lower) || isSequence(lower)
}

func isRepeat(s string) bool {
	r := []rune(s)
	for i := 1; i < len(r); i++ {
		if r[i] != r[0] {
			return false
		}
	}
	return true
}

// isSequence spots 0123456789, 9876543210, abcdefghij and similar runs.
func isSequence(s string) bool {
	r := []rune(s)
	if len(r) < 3 {
		return false
	}
	up, down := true, true
	for i := 1; i < len(r); i++ {
		d := r[i] - r[i-1]
		if d != 1 && !(r[i-1] == '9' && r[i] == '0') {
			up = false
		}
		if d != -1 && !(r[i-1] == '0' && r[i] == '9') {
			down = false
		}
	}
	return up || down
}

// hashParams are argon2id's costs: RFC 9106's second recommended option
// with two lanes instead of four, to suit small hosts
// (64 MiB, three passes). alexedwards/argon2id keeps the PHC encoding and the
// constant-time comparison out of our code.
var hashParams = &argon2id.Params{Memory: 64 * 1024, Iterations: 3, Parallelism: 2, SaltLength: 16, KeyLength: 32}
