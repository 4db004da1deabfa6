package web

// LTI administration: registering platforms (page and API), what to paste
// into a platform, dynamic registration links, Lectern's signing keys, and
// the grade outbox.

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/lti"
	"github.com/lectern/lectern/lms/store"
)

type adminLTIView struct {
	Config    lti.ToolConfig
	Platforms []store.LTIPlatform
	Keys      []lti.KeyInfo
	Form      lti.PlatformInput
	Error     string
	Notice    string
	Link      string // a new dynamic registration link, shown once
	Counts    map[string]int64
}

func (s *Server) adminLTIPage(c echo.Context, status int, v adminLTIView) error {
	ctx := c.Request().Context()
	if s.lti == nil {
		return echo.NewHTTPError(http.StatusNotFound, "LTI is not enabled.")
	}
	v.Config = lti.ToolConfig{LoginURL: s.lti.URL(lti.PathLogin), LaunchURL: s.lti.URL(lti.PathLaunch),
		DeepLinkURL: s.lti.URL(lti.PathDeepLink), JWKSURL: s.lti.URL(lti.PathJWKS), DynamicRegistrationURL: v.Link}
	var err error
	if v.Platforms, err = s.store.LTIPlatforms(ctx); err != nil {
		return err
	}
	if v.Keys, err = s.lti.Keys(ctx); err != nil {
		return err
	}
	if v.Counts, err = s.store.LTIScoreCounts(ctx); err != nil {
		return err
	}
	if v.Form.Keep == "" {
		v.Form.Keep = "name,email"
	}
	return s.render(c, status, "admin_lti", "LTI", v)
}

func (s *Server) adminLTI(c echo.Context) error {
	return s.adminLTIPage(c, http.StatusOK, adminLTIView{})
}

func (s *Server) adminLTIAdd(c echo.Context) error {
	in := lti.PlatformInput{Name: c.FormValue("name"), Issuer: c.FormValue("issuer"), ClientID: c.FormValue("client_id"),
		AuthURL: c.FormValue("auth_url"), TokenURL: c.FormValue("token_url"), JWKSURL: c.FormValue("jwks_url"),
		Deployments: strings.Fields(strings.ReplaceAll(c.FormValue("deployments"), ",", " ")), Keep: c.FormValue("keep")}
	p, err := s.lti.AddPlatform(c.Request().Context(), in, "admin")
	if err != nil {
		in.Deployments = []string{c.FormValue("deployments")}
		return s.adminLTIPage(c, http.StatusUnprocessableEntity, adminLTIView{Form: in, Error: err.Error()})
	}
	return s.adminLTIPage(c, http.StatusOK, adminLTIView{Notice: fmt.Sprintf("Registered %s (platform %d).", p.Name, p.ID)})
}

func (s *Server) ltiPlatformParam(c echo.Context) (*store.LTIPlatform, error) {
	id, ok := uintParam(c.Param("id"))
	if !ok {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such platform.")
	}
	p, err := s.store.LTIPlatformByID(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such platform.")
	}
	return p, err
}

func (s *Server) adminLTIRemove(c echo.Context) error {
	p, err := s.ltiPlatformParam(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteLTIPlatform(c.Request().Context(), p.ID); err != nil {
		return err
	}
	return s.adminLTIPage(c, http.StatusOK, adminLTIView{Notice: fmt.Sprintf("Removed %s: its launches no longer work. Its learners and their records stay.", p.Name)})
}

func (s *Server) adminLTIKeep(c echo.Context) error {
	p, err := s.ltiPlatformParam(c)
	if err != nil {
		return err
	}
	name, email, err := lti.ParseKeep(c.FormValue("keep"))
	if err != nil {
		return s.adminLTIPage(c, http.StatusUnprocessableEntity, adminLTIView{Error: err.Error()})
	}
	if err := s.store.SetLTIPlatformKeep(c.Request().Context(), p.ID, name, email); err != nil {
		return err
	}
	return s.adminLTIPage(c, http.StatusOK, adminLTIView{Notice: fmt.Sprintf("%s: Lectern now keeps %s from launches (each user's record follows at their next launch).", p.Name, keepWords(name, email))})
}

func keepWords(name, email bool) string {
	switch {
	case name && email:
		return "names and emails"
	case name:
		return "names only"
	case email:
		return "emails only"
	}
	return "neither names nor emails"
}

func (s *Server) adminLTIDeployment(c echo.Context) error {
	p, err := s.ltiPlatformParam(c)
	if err != nil {
		return err
	}
	d := strings.TrimSpace(c.FormValue("deployment"))
	if d == "" || len(d) > 255 {
		return s.adminLTIPage(c, http.StatusUnprocessableEntity, adminLTIView{Error: "A deployment id has 1 to 255 characters."})
	}
	if err := s.store.AddLTIDeployment(c.Request().Context(), p.ID, d); err != nil {
		return err
	}
	return s.adminLTIPage(c, http.StatusOK, adminLTIView{Notice: fmt.Sprintf("%s: deployment %s added.", p.Name, d)})
}

func (s *Server) adminLTILink(c echo.Context) error {
	link, err := s.lti.RegistrationLink(c.Request().Context())
	if err != nil {
		return err
	}
	return s.adminLTIPage(c, http.StatusOK, adminLTIView{Link: link,
		Notice: fmt.Sprintf("A new dynamic registration link: it registers one platform and expires in %d days.", int(s.lti.Opt.RegistrationTTL.Hours()/24))})
}

func (s *Server) adminLTIRotate(c echo.Context) error {
	kid, err := s.lti.RotateKey(c.Request().Context())
	if err != nil {
		return err
	}
	return s.adminLTIPage(c, http.StatusOK, adminLTIView{Notice: fmt.Sprintf("New signing key %s. The previous key stays published for %s.", kid, s.lti.Opt.KeyOverlap)})
}

type ltiScoresView struct {
	State  string
	Rows   []store.LTIScoreRow
	Counts map[string]int64
	Page   int
	More   bool
	Notice string
}

const scoresPage = 50

// adminLTIScores shows the grade outbox: pending and failed posts.
func (s *Server) adminLTIScores(c echo.Context) error {
	return s.renderLTIScores(c, "")
}

func (s *Server) renderLTIScores(c echo.Context, notice string) error {
	ctx := c.Request().Context()
	state := c.QueryParam("state")
	switch state {
	case "", store.ScorePending, store.ScoreFailed, store.ScoreSent, store.ScoreSuperseded:
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "Unknown state.")
	}
	pg, _ := strconv.Atoi(c.QueryParam("page"))
	if pg < 1 {
		pg = 1
	}
	rows, err := s.store.LTIScoreRows(ctx, state, scoresPage+1, (pg-1)*scoresPage)
	if err != nil {
		return err
	}
	counts, err := s.store.LTIScoreCounts(ctx)
	if err != nil {
		return err
	}
	v := ltiScoresView{State: state, Rows: rows, Counts: counts, Page: pg, Notice: notice}
	if len(rows) > scoresPage {
		v.Rows, v.More = rows[:scoresPage], true
	}
	return s.render(c, http.StatusOK, "admin_lti_scores", "Grade outbox", v)
}

func (s *Server) adminLTIRetry(c echo.Context) error {
	id, ok := uintParam(c.Param("id"))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "No such score.")
	}
	err := s.store.RetryLTIScore(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusConflict, "This score is not waiting or failed (it was sent or replaced by a newer one).")
	} else if err != nil {
		return err
	}
	return s.renderLTIScores(c, fmt.Sprintf("Score %d will be sent again within a minute.", id))
}

// API: platforms.

type apiPlatform struct {
	ID          uint     `json:"id"`
	Name        string   `json:"name"`
	Issuer      string   `json:"issuer"`
	ClientID    string   `json:"clientId"`
	Deployments []string `json:"deployments"`
	AuthURL     string   `json:"authUrl"`
	TokenURL    string   `json:"tokenUrl"`
	JWKSURL     string   `json:"jwksUrl"`
	Keep        string   `json:"keep"`
	Source      string   `json:"source"`
	CreatedAt   string   `json:"createdAt"`
}

func toAPIPlatform(p store.LTIPlatform) apiPlatform {
	return apiPlatform{ID: p.ID, Name: p.Name, Issuer: p.Issuer, ClientID: p.ClientID, Deployments: p.Deployments,
		AuthURL: p.AuthURL, TokenURL: p.TokenURL, JWKSURL: p.JWKSURL, Keep: lti.KeepText(&p), Source: p.Source, CreatedAt: apiTimeOf(p.CreatedAt)}
}

func (s *Server) apiPlatforms(c echo.Context) error {
	if s.lti == nil {
		return apiNotFoundErr("LTI")
	}
	p, err := apiPage(c)
	if err != nil {
		return err
	}
	all, err := s.store.LTIPlatforms(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]apiPlatform, 0, p.Limit)
	for _, x := range slicePage(all, p) {
		out = append(out, toAPIPlatform(x))
	}
	return listPage(c, p, out, len(all))
}

func (s *Server) apiCreatePlatform(c echo.Context) error {
	if s.lti == nil {
		return apiNotFoundErr("LTI")
	}
	var in struct {
		Name        string   `json:"name"`
		Issuer      string   `json:"issuer"`
		ClientID    string   `json:"clientId"`
		Deployments []string `json:"deployments"`
		AuthURL     string   `json:"authUrl"`
		TokenURL    string   `json:"tokenUrl"`
		JWKSURL     string   `json:"jwksUrl"`
		Keep        string   `json:"keep"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Keep == "" {
		in.Keep = "name,email"
	}
	p, err := s.lti.AddPlatform(c.Request().Context(), lti.PlatformInput{Name: in.Name, Issuer: in.Issuer, ClientID: in.ClientID,
		AuthURL: in.AuthURL, TokenURL: in.TokenURL, JWKSURL: in.JWKSURL, Deployments: in.Deployments, Keep: in.Keep}, "api")
	if err != nil {
		if strings.Contains(err.Error(), "already registered") {
			return apiErr(http.StatusConflict, "conflict", "%s", err.Error())
		}
		var rf *lti.Refusal
		if errors.As(err, &rf) {
			return err
		}
		return apiInvalid("%s", err.Error())
	}
	c.Response().Header().Set(echo.HeaderLocation, fmt.Sprintf("/api/v1/lti/platforms/%d", p.ID))
	return c.JSON(http.StatusCreated, toAPIPlatform(*p))
}

func (s *Server) apiDeletePlatform(c echo.Context) error {
	if s.lti == nil {
		return apiNotFoundErr("LTI")
	}
	id, err := apiID(c.Param("id"), "platform")
	if err != nil {
		return err
	}
	if err := s.store.DeleteLTIPlatform(c.Request().Context(), id); errors.Is(err, store.ErrNotFound) {
		return apiNotFoundErr("platform")
	} else if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
