package account

import (
	"errors"
	"strings"
	"testing"
)

func TestHashAndVerify(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not record argon2id parameters", h)
	}
	if err := VerifyPassword(h, "correct horse battery"); err != nil {
		t.Errorf("right password: %v", err)
	}
	if err := VerifyPassword(h, "correct horse batterY"); !errors.Is(err, ErrMismatch) {
		t.Errorf("wrong password: got %v, want ErrMismatch", err)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: salt missing")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA", "$argon2id$v=19$m=1,t=1,p=1$!!$AA"} {
		if err := VerifyPassword(bad, "x"); err == nil {
			t.Errorf("VerifyPassword(%q) accepted a malformed hash", bad)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	tests := []struct {
		pw   string
		want error
	}{
		{strings.Repeat("a", MinPasswordLength-1), ErrWeakPassword},
		{strings.Repeat("a", MinPasswordLength), nil},
		{strings.Repeat("a", MaxPasswordLength), nil},
		{strings.Repeat("a", MaxPasswordLength+1), ErrLongPassword},
	}
	for _, tt := range tests {
		if err := CheckPasswordPolicy(tt.pw); !errors.Is(err, tt.want) {
			t.Errorf("CheckPasswordPolicy(len %d) = %v, want %v", len(tt.pw), err, tt.want)
		}
	}
	if err := CheckPasswordPolicy(GeneratePassword()); err != nil {
		t.Errorf("generated password fails the policy: %v", err)
	}
}

func TestTokens(t *testing.T) {
	a, b := NewToken(), NewToken()
	if a == b || len(a) != 43 {
		t.Errorf("tokens %q %q: want distinct 43-character tokens", a, b)
	}
	if HashToken(a) == a || len(HashToken(a)) != 64 {
		t.Errorf("HashToken(%q) = %q", a, HashToken(a))
	}
}
