package lti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

// Names and Role Provisioning Services: an instructor syncs a context's
// roster so that learners who have not launched yet show in its reports.

type membership struct {
	UserID     string   `json:"user_id"`
	Roles      []string `json:"roles"`
	Status     string   `json:"status"`
	Name       string   `json:"name"`
	GivenName  string   `json:"given_name"`
	FamilyName string   `json:"family_name"`
	Email      string   `json:"email"`
}

var nextLink = regexp.MustCompile(`<([^>]+)>\s*;\s*rel="?next"?`)

// ErrNoRoster is a context whose platform offers no roster service.
var ErrNoRoster = errors.New("the platform offers no roster for this course")

// SyncRoster reads the context's roster (following its pages, at most
// Opt.RosterMax members) and brings its learners into Lectern.
func (s *Service) SyncRoster(ctx context.Context, contextRowID uint) (*store.RosterResult, error) {
	c, err := s.Store.LTIContextByID(ctx, contextRowID)
	if err != nil {
		return nil, err
	}
	if c.MembershipsURL == "" {
		return nil, ErrNoRoster
	}
	p, err := s.Store.LTIPlatformByID(ctx, c.PlatformID)
	if err != nil {
		return nil, err
	}
	token, err := s.token(ctx, p, ScopeNRPS)
	if err != nil {
		return nil, fmt.Errorf("roster: %w", err)
	}
	var members []store.LTIRosterMember
	next, pages := c.MembershipsURL, 0
	for next != "" {
		if pages++; pages > 1000 {
			return nil, errors.New("roster: too many pages")
		}
		body, header, err := s.rosterPage(ctx, next, token)
		if err != nil {
			return nil, err
		}
		var page struct {
			Members []membership `json:"members"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, fmt.Errorf("roster: %w", err)
		}
		for _, m := range page.Members {
			if m.UserID == "" || instructorRole(m.Roles) {
				continue
			}
			if len(members) >= s.Opt.RosterMax {
				return nil, fmt.Errorf("roster: more than %d members (see --lti-roster-max)", s.Opt.RosterMax)
			}
			person := store.LTIPerson{Subject: clip(m.UserID, 255), Handle: Handle(p.Issuer, m.UserID)}
			if p.KeepName {
				person.Name = clip(strings.TrimSpace(firstOf(m.Name, strings.TrimSpace(m.GivenName+" "+m.FamilyName))), 200)
			}
			if p.KeepEmail && account.ValidEmail(m.Email) {
				person.Email = m.Email
			}
			members = append(members, store.LTIRosterMember{Person: person, Active: m.Status == "" || strings.EqualFold(m.Status, "Active")})
		}
		next = ""
		if m := nextLink.FindStringSubmatch(header.Get("Link")); m != nil {
			next = m[1]
		}
	}
	return s.Store.SyncLTIRoster(ctx, contextRowID, members)
}

func (s *Service) rosterPage(ctx context.Context, u, token string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("roster: %w", err)
	}
	defer resp.Body.Close()
	body, err := readLimited(resp.Body, s.Opt.MaxResponseBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("roster: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("roster: HTTP %d: %s", resp.StatusCode, clip(string(body), 200))
	}
	return body, resp.Header, nil
}
