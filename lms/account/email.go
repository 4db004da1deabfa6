package account

import (
	"net/mail"
	"strings"
)

// ValidEmail accepts a bare address (no display name) with a dot in the domain.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != strings.TrimSpace(s) || a.Name != "" || len(a.Address) > 254 {
		return false
	}
	at := strings.LastIndexByte(a.Address, '@')
	return at > 0 && strings.Contains(a.Address[at+1:], ".")
}
