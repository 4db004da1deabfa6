package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestLTIPlatformCommands: add, list and remove platforms; bad flags change
// nothing.
func TestLTIPlatformCommands(t *testing.T) {
	data := t.TempDir()
	add := []string{"lti", "platform", "add", "--issuer", "https://moodle.example.org", "--client-id", "abc123",
		"--deployment", "1", "--deployment", "7", "--auth-url", "https://moodle.example.org/mod/lti/auth.php",
		"--token-url", "https://moodle.example.org/mod/lti/token.php", "--jwks-url", "https://moodle.example.org/mod/lti/certs.php",
		"--name", "Moodle", "--keep", "none"}
	out, _, err := lectern(t, data, add...)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != "1" {
		t.Errorf("platform add printed %q, want the id 1", out)
	}
	if _, _, err := lectern(t, data, add...); err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Errorf("the same issuer and client id again: %v, want already registered", err)
	}
	for name, bad := range map[string][]string{
		"no deployment": {"lti", "platform", "add", "--issuer", "https://a.example", "--client-id", "x", "--auth-url", "https://a.example/a", "--token-url", "https://a.example/t", "--jwks-url", "https://a.example/j"},
		"bad keep":      {"lti", "platform", "add", "--issuer", "https://a.example", "--client-id", "x", "--deployment", "1", "--auth-url", "https://a.example/a", "--token-url", "https://a.example/t", "--jwks-url", "https://a.example/j", "--keep", "phone"},
		"bad url":       {"lti", "platform", "add", "--issuer", "https://a.example", "--client-id", "x", "--deployment", "1", "--auth-url", "ftp://a.example/a", "--token-url", "https://a.example/t", "--jwks-url", "https://a.example/j"},
		"extra arg":     {"lti", "platform", "add", "stray", "--issuer", "https://a.example"},
	} {
		if _, _, err := lectern(t, data, bad...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	out, _, err = lectern(t, data, "lti", "platform", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ps []struct {
		ID          uint
		Issuer      string
		ClientID    string
		Deployments []string
		Keep        string
	}
	if err := json.Unmarshal([]byte(out), &ps); err != nil || len(ps) != 1 {
		t.Fatalf("platform list --json = %s (%v): want one platform", out, err)
	}
	if p := ps[0]; p.Issuer != "https://moodle.example.org" || p.ClientID != "abc123" || strings.Join(p.Deployments, ",") != "1,7" || p.Keep != "none" {
		t.Errorf("listed %+v", p)
	}
	if out, _, _ := lectern(t, data, "lti", "platform", "list"); !strings.Contains(out, "Moodle") || !strings.Contains(out, "abc123") {
		t.Errorf("platform list printed %q", out)
	}
	var ue usageError
	if _, _, err := lectern(t, data, "lti", "platform", "remove", "x"); !errors.As(err, &ue) {
		t.Errorf("remove x: %v, want a usage error", err)
	}
	if _, _, err := lectern(t, data, "lti", "platform", "remove", "9"); err == nil || !strings.Contains(err.Error(), "no platform") {
		t.Errorf("remove 9: %v, want no platform", err)
	}
	if _, _, err := lectern(t, data, "lti", "platform", "remove", "1"); err != nil {
		t.Fatal(err)
	}
	if out, _, _ := lectern(t, data, "lti", "platform", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("after remove: %s", out)
	}
}

// TestLTIToolConfig: every URL is absolute from --base-url; each call gives
// a new one-time registration link.
func TestLTIToolConfig(t *testing.T) {
	data := t.TempDir()
	conf := func() map[string]string {
		out, _, err := lectern(t, data, "lti", "tool-config", "--json", "--base-url", "https://lms.example.org/")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		return m
	}
	m := conf()
	want := map[string]string{"loginUrl": "https://lms.example.org/lti/login", "launchUrl": "https://lms.example.org/lti/launch",
		"deepLinkUrl": "https://lms.example.org/lti/deep-link", "jwksUrl": "https://lms.example.org/lti/jwks"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	if !strings.HasPrefix(m["dynamicRegistrationUrl"], "https://lms.example.org/lti/register?t=") {
		t.Errorf("dynamicRegistrationUrl = %q", m["dynamicRegistrationUrl"])
	}
	if conf()["dynamicRegistrationUrl"] == m["dynamicRegistrationUrl"] {
		t.Error("two calls gave the same registration link")
	}
	if out, _, err := lectern(t, data, "lti", "tool-config"); err != nil || !strings.Contains(out, "/lti/jwks") {
		t.Errorf("tool-config: %q %v", out, err)
	}
}

// TestLTIKeyRotation: a new key signs, the old stays published; no private
// key material is printed.
func TestLTIKeyRotation(t *testing.T) {
	data := t.TempDir()
	keys := func() []map[string]any {
		out, _, err := lectern(t, data, "lti", "key", "list", "--json")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out, "PRIVATE") || strings.Contains(out, `"d"`) {
			t.Fatalf("key list prints private material: %s", out)
		}
		var ks []map[string]any
		if err := json.Unmarshal([]byte(out), &ks); err != nil {
			t.Fatal(err)
		}
		return ks
	}
	first := keys()
	if len(first) != 1 || first[0]["signing"] != true {
		t.Fatalf("first key list: %v", first)
	}
	out, _, err := lectern(t, data, "lti", "key", "rotate")
	if err != nil || !strings.Contains(out, "New signing key") {
		t.Fatalf("rotate: %q %v", out, err)
	}
	after := keys()
	if len(after) != 2 || after[0]["signing"] != true || after[1]["kid"] != first[0]["kid"] || after[1]["signing"] != false || after[1]["removeAt"] == nil {
		t.Errorf("after rotation: %v", after)
	}
}
