package web

// The organisation's settings after set-up: its name (on certificates and
// in emails) and its time zone (due dates, dates on pages, the periods of
// scheduled reports). The set-up page asks once; administrators change
// them here. A value fixed by a flag or LECTERN_* is shown, not offered.

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/store"
)

type settingsView struct {
	Organisation, TimeZone string
	OrgFixed, ZoneFixed    bool
	Zones                  []string
	MaxName                int
	Now                    string // the time now in the zone, to check it
	Notice, Error          string
}

func (s *Server) settingsPage(c echo.Context) error {
	return s.renderSettings(c, http.StatusOK, s.currentSettings(c.QueryParam("notice")))
}

func (s *Server) currentSettings(notice string) settingsView {
	return settingsView{Organisation: s.organisation(), TimeZone: s.location().String(),
		OrgFixed: s.opt.OrgNameFixed, ZoneFixed: s.opt.TimeZoneFixed, Zones: commonZones,
		MaxName: maxOrgNameRunes, Notice: notice}
}

func (s *Server) renderSettings(c echo.Context, status int, v settingsView) error {
	v.Now = s.when(s.store.Now())
	return s.render(c, status, "admin_settings", "Settings", v)
}

// checkOrgName says what is wrong with an organisation's name, or "".
func checkOrgName(name string) string {
	switch {
	case name == "":
		return "Enter the organisation’s name."
	case utf8.RuneCountInString(name) > maxOrgNameRunes:
		return fmt.Sprintf("The organisation’s name is longer than %d characters.", maxOrgNameRunes)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "The organisation’s name contains a line break or another control character."
	}
	return ""
}

// saveSettings changes the organisation's name and time zone: checked,
// stored with one audit entry (before and after), then used at once.
func (s *Server) saveSettings(c echo.Context) error {
	v := s.currentSettings("")
	before := v
	if !v.OrgFixed {
		v.Organisation = strings.TrimSpace(c.FormValue("organisation"))
	}
	if !v.ZoneFixed {
		v.TimeZone = strings.TrimSpace(c.FormValue("timezone"))
	}
	fail := func(msg string) error {
		v.Error = msg
		return s.renderSettings(c, http.StatusUnprocessableEntity, v)
	}
	if msg := checkOrgName(v.Organisation); msg != "" {
		return fail(msg)
	}
	loc, err := loadZone(v.TimeZone)
	if err != nil {
		return fail(fmt.Sprintf("“%s” is not a time zone. Choose one from the list, such as Europe/London.", v.TimeZone))
	}
	values := map[string]string{}
	if v.Organisation != before.Organisation {
		values[store.SettingOrganisation] = v.Organisation
	}
	if loc.String() != before.TimeZone {
		values[store.SettingTimeZone] = loc.String()
	}
	if len(values) == 0 {
		return c.Redirect(http.StatusSeeOther, "/admin/settings?notice="+url.QueryEscape("Nothing changed."))
	}
	previous := map[string]string{store.SettingOrganisation: before.Organisation, store.SettingTimeZone: before.TimeZone}
	if err := s.store.SaveSettings(c.Request().Context(), values, previous); err != nil {
		return err
	}
	s.setOrg(v.Organisation, loc)
	s.log.Info("settings changed", "organisation", v.Organisation, "timezone", loc.String(), "by", currentUser(c).Email)
	return c.Redirect(http.StatusSeeOther, "/admin/settings?notice="+url.QueryEscape(
		fmt.Sprintf("Saved: %s, in %s. Emails, certificates and dates use them from now on.", v.Organisation, loc.String())))
}

// setOrg makes the organisation's name and zone those Lectern uses now.
func (s *Server) setOrg(name string, loc *time.Location) {
	if s.opt.Org != nil {
		s.opt.Org.Set(name, loc)
	}
}
