package server_test

import (
	"regexp"
	"strconv"
)

var tokenRe = regexp.MustCompile(`id="token-value"[^>]*value="(kdr_[^"]+)"`)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
