package web

// The REST API under /api/v1, for administrators' automation. It knows only
// bearer tokens (Authorization: Bearer <token>), never the session cookie, so
// a browser cannot be made to call it on someone's behalf and CSRF does not
// apply. Errors are JSON: {"error":{"code":"not_found","message":"..."}}.
// Lists are paginated with ?limit= and an opaque ?cursor=, and carry a
// "next" link while there is more.

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

const (
	apiPrefix       = "/api/"
	apiMaxBodyBytes = 1 << 20
	apiDefaultLimit = 50
	apiMaxLimit     = 200
	ctxAPIToken     = "apiToken"
	// apiTokenPrefix marks Lectern tokens so that secret scanners and people
	// can tell them apart from other credentials.
	apiTokenPrefix = "lct_"
)

// apiError is an API failure with its status, machine-readable code and a
// message for people.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func apiErr(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func apiInvalid(format string, args ...any) *apiError {
	return apiErr(http.StatusUnprocessableEntity, "invalid", format, args...)
}

func apiNotFoundErr(what string) *apiError {
	return apiErr(http.StatusNotFound, "not_found", "No such %s.", what)
}

// apiErrors writes every error of an API handler as the API's JSON error
// body; server errors are logged here, once, as handleError does for pages.
func (s *Server) apiErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		var ae *apiError
		var he *echo.HTTPError
		switch {
		case errors.As(err, &ae):
		case errors.As(err, &he) && he.Code < 500:
			msg, _ := he.Message.(string)
			if msg == "" {
				msg = http.StatusText(he.Code)
			}
			ae = &apiError{Status: he.Code, Code: strings.ReplaceAll(strings.ToLower(http.StatusText(he.Code)), " ", "_"), Message: msg}
		case errors.Is(err, store.ErrNotFound):
			ae = apiErr(http.StatusNotFound, "not_found", "Not found.")
		default:
			s.log.Error("API request failed", "method", c.Request().Method, "path", logPath(c.Request().URL.Path), "err", err)
			ae = apiErr(http.StatusInternalServerError, "internal", "Something went wrong on our side. It has been logged; please try again.")
		}
		if ae.Status == http.StatusUnauthorized {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="lectern"`)
		}
		return c.JSON(ae.Status, map[string]any{"error": map[string]string{"code": ae.Code, "message": ae.Message}})
	}
}

// requireToken admits requests with a valid bearer token; a read token may
// only read. The session cookie is ignored on purpose.
func (s *Server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		token = strings.TrimSpace(token)
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return apiErr(http.StatusUnauthorized, "unauthorized", "Send an API token in the Authorization header: Bearer followed by the token.")
		}
		t, user, err := s.store.UseAPIToken(c.Request().Context(), account.HashToken(token))
		if errors.Is(err, store.ErrNotFound) {
			return apiErr(http.StatusUnauthorized, "unauthorized", "The API token is unknown, revoked or expired.")
		} else if err != nil {
			return err
		}
		if m := c.Request().Method; m != http.MethodGet && m != http.MethodHead && t.Scope != store.ScopeReadWrite {
			return apiErr(http.StatusForbidden, "forbidden", "This API token may only read; make a read-write token to change data.")
		}
		// Handlers see the token's creator as the acting user; the cookie
		// user, if any, is replaced.
		c.Set(ctxUser, user)
		c.Set(ctxAPIToken, t)
		actor := store.UserActor(user, store.ViaAPI)
		actor.Name += fmt.Sprintf(" with token %q", t.Name)
		c.SetRequest(c.Request().WithContext(store.WithActor(c.Request().Context(), actor)))
		return next(c)
	}
}

// apiSkipsCSRF: a request to the API without the session cookie cannot
// carry anyone's authority but its bearer token's, which a browser does not
// add on its own, so the CSRF check has nothing to protect.
func apiSkipsCSRF(c echo.Context) bool {
	if !strings.HasPrefix(c.Request().URL.Path, apiPrefix) {
		return false
	}
	_, err := c.Request().Cookie(sessionName)
	if err != nil {
		_, err = c.Request().Cookie("__Host-" + sessionName)
	}
	return err != nil
}

// decodeJSON reads one JSON object of at most 1 MiB into v, refusing
// unknown fields.
func decodeJSON(c echo.Context, v any) error { return decodeJSONMax(c, v, apiMaxBodyBytes) }

// decodeJSONMax is decodeJSON with a body of at most max bytes.
func decodeJSONMax(c echo.Context, v any, max int64) error {
	r := c.Request()
	if ct := r.Header.Get(echo.HeaderContentType); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return apiErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "Send JSON with Content-Type: application/json.")
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), r.Body, max))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			return apiErr(http.StatusBadRequest, "malformed_json", "The body must hold exactly one JSON object.")
		}
		return nil
	}
	var tooBig *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return apiErr(http.StatusRequestEntityTooLarge, "too_large", "The body is larger than %d bytes.", max)
	case errors.Is(err, io.EOF):
		return apiErr(http.StatusBadRequest, "malformed_json", "The body is empty; send a JSON object.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return apiInvalid("Unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return apiInvalid("The body must be a JSON object.")
		}
		return apiInvalid("The field %q must be a %s.", typeErr.Field, jsonKind(typeErr.Type.Kind().String()))
	}
	return apiErr(http.StatusBadRequest, "malformed_json", "The body is not valid JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"), strings.HasPrefix(goKind, "float"):
		return "number"
	case goKind == "bool":
		return "boolean"
	case goKind == "string":
		return "string"
	case goKind == "slice":
		return "array"
	}
	return "object"
}

// apiTime formats a time as ISO 8601 in UTC; nil stays null.
func apiTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	v := t.UTC().Format(time.RFC3339)
	return &v
}

func apiTimeOf(t time.Time) string { return *apiTime(&t) }

// page is where a list starts and how long it is.
type page struct{ Offset, Limit int }

// apiPage reads ?limit= and ?cursor=. The cursor is opaque to clients.
func apiPage(c echo.Context) (page, error) {
	p := page{Limit: apiDefaultLimit}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > apiMaxLimit {
			return p, apiErr(http.StatusBadRequest, "bad_request", "limit must be a number from 1 to %d.", apiMaxLimit)
		}
		p.Limit = n
	}
	if v := c.QueryParam("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		n, perr := strconv.Atoi(strings.TrimPrefix(string(b), "o"))
		if err != nil || perr != nil || !strings.HasPrefix(string(b), "o") || n < 0 {
			return p, apiErr(http.StatusBadRequest, "bad_request", "The cursor is not one this API gave out; start again without it.")
		}
		p.Offset = n
	}
	return p, nil
}

// apiList is the body of every list answer.
type apiList struct {
	Data any     `json:"data"`
	Next *string `json:"next"` // URL of the next page; null on the last
}

// listPage answers with items[p.Offset:][:p.Limit] of a list of total items
// (items holds only the page when already sliced by the store).
func listPage[T any](c echo.Context, p page, pageItems []T, total int) error {
	body := apiList{Data: pageItems}
	if pageItems == nil {
		body.Data = []T{}
	}
	if p.Offset+p.Limit < total {
		q := c.Request().URL.Query()
		q.Set("cursor", base64.RawURLEncoding.EncodeToString([]byte("o"+strconv.Itoa(p.Offset+p.Limit))))
		q.Set("limit", strconv.Itoa(p.Limit))
		next := (&url.URL{Path: c.Request().URL.Path, RawQuery: q.Encode()}).String()
		body.Next = &next
	}
	return c.JSON(http.StatusOK, body)
}

// slicePage cuts one page out of a whole list.
func slicePage[T any](items []T, p page) []T {
	if p.Offset >= len(items) {
		return nil
	}
	return items[p.Offset:min(len(items), p.Offset+p.Limit)]
}

// apiID reads a numeric path or query parameter naming a what.
func apiID(v, what string) (uint, error) {
	id, err := strconv.ParseUint(v, 10, 32)
	if err != nil || id == 0 {
		return 0, apiNotFoundErr(what)
	}
	return uint(id), nil
}

// apiUnknownRoute answers requests under /api that match no resource.
func (s *Server) apiUnknownRoute(c echo.Context) error {
	return apiErr(http.StatusNotFound, "not_found", "There is no %s %s in this API; see /api/v1/openapi.json.", c.Request().Method, c.Request().URL.Path)
}

// apiOpenAPI serves the API's OpenAPI 3 description.
func (s *Server) apiOpenAPI(c echo.Context) error {
	b, err := s.openAPIDocument()
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/json", b)
}

func (s *Server) openAPIDocument() ([]byte, error) {
	b, err := fs.ReadFile(s.opt.Static, "openapi.json")
	if err != nil {
		return nil, fmt.Errorf("web: OpenAPI document: %w", err)
	}
	return b, nil
}
