// Package account holds the credentials logic: password hashing and random
// tokens. It knows nothing of HTTP or the database (sign-in throttling
// counts in the database: store.Throttle).
package account

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommended configuration (19 MiB, two
// passes, one lane). Memory is what makes argon2id costly to attack, but every
// sign-in allocates it, so it is kept modest for a small server.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16

	// MinPasswordLength is the shortest password accepted.
	MinPasswordLength = 10
	// MaxPasswordLength bounds the work an attacker can ask of the hasher.
	MaxPasswordLength = 256
)

var (
	ErrMismatch     = errors.New("password does not match")
	ErrWeakPassword = errors.New("password too short")
	ErrLongPassword = errors.New("password too long")
)

// CheckPasswordPolicy says whether p may be set as a password.
func CheckPasswordPolicy(p string) error {
	switch n := len([]rune(p)); {
	case n < MinPasswordLength:
		return fmt.Errorf("%w: use at least %d characters", ErrWeakPassword, MinPasswordLength)
	case len(p) > MaxPasswordLength:
		return fmt.Errorf("%w: use at most %d bytes", ErrLongPassword, MaxPasswordLength)
	}
	return nil
}

// HashPassword returns an argon2id hash in the PHC string format, which records
// its parameters so they can be raised later without breaking old hashes.
func HashPassword(password string) (string, error) {
	if len(password) > MaxPasswordLength {
		return "", ErrLongPassword
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword checks password against a hash made by HashPassword.
func VerifyPassword(hash, password string) error {
	if len(password) > MaxPasswordLength {
		return ErrMismatch
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return fmt.Errorf("account: unknown password hash format")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return fmt.Errorf("account: unsupported argon2 version %q", parts[2])
	}
	var mem, iter uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iter, &threads); err != nil {
		return fmt.Errorf("account: bad argon2 parameters %q", parts[3])
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return fmt.Errorf("account: bad salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return fmt.Errorf("account: bad hash")
	}
	got := argon2.IDKey([]byte(password), salt, iter, mem, threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// dummyHash is verified against when a sign-in names an unknown email, so
// that the answer takes as long as for a real account. Made on first use: a
// hash costs memory that commands other than serve should not pay.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("lectern-timing-equaliser")
	return h
})

// VerifyNothing spends the time of one password verification.
func VerifyNothing(password string) { _ = VerifyPassword(dummyHash(), password) }

// NewToken returns a random URL-safe token of 32 bytes (256 bits).
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("account: crypto/rand failed: " + err.Error()) // the OS is broken; nothing sane to do
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is how tokens are stored: hex SHA-256. Tokens carry 256 random
// bits, so a fast hash is enough; a stolen database yields no usable token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// GeneratePassword returns a random password for accounts created without one:
// 20 characters from an alphabet without look-alikes (about 115 bits).
func GeneratePassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic("account: crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
