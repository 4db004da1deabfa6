package web

// Bulk import of users from CSV in two steps: the upload shows a preview of
// every row and writes nothing; the confirmation imports the valid rows in
// one transaction.
//
// The file travels from the preview to the confirmation inside the preview
// form: gzipped, base64url-encoded and signed with an HMAC bound to the admin
// and an expiry. The server keeps no state between the steps (nothing to
// clean up, nothing to find after a restart), the admin does not choose the
// file twice, and the confirmation imports exactly the bytes that were
// previewed. It parses them again against the users as they are then; if the
// plan differs from the one previewed (someone changed users meanwhile), the
// new preview is shown instead of importing.

import (
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/userimport"
)

const (
	// importPreviewTTL is how long a preview can be confirmed.
	importPreviewTTL = time.Hour
	// importFormSlack is room for the multipart framing and the other
	// fields beside the file.
	importFormSlack = 64 << 10
	// maxConfirmBytes bounds the confirmation form: the signed file (gzip
	// never grows data by more than a little, base64 by a third) and fields.
	maxConfirmBytes = userimport.MaxImportBytes*3/2 + importFormSlack
)

// importView is the import page: the upload form, a preview, or the result.
type importView struct {
	MaxMB     int
	MaxRows   int
	FileError string // the file could not be read
	Error     string // the confirmation was refused
	Filename  string
	Plan      *userimport.Plan
	Applies   int // rows that would change something
	Token     *importToken
	Result    *store.ImportResult
	Invited   int // new users sent an invitation
}

// importToken is the signed file as the preview form carries it.
type importToken struct {
	Data, Filename, Expires, Digest, Sig string
}

func (s *Server) importUsersPage(c echo.Context) error {
	return s.renderImport(c, http.StatusOK, importView{})
}

func (s *Server) renderImport(c echo.Context, status int, v importView) error {
	v.MaxMB, v.MaxRows = userimport.MaxImportBytes>>20, userimport.MaxRows
	if v.Plan != nil {
		v.Applies = v.Plan.ToCreate + v.Plan.ToUpdate
	}
	return s.render(c, status, "admin_users_import", "Import users", v)
}

// previewImport reads the uploaded file and shows what importing it would
// do. It writes nothing.
func (s *Server) previewImport(c echo.Context) error {
	data, filename, err := s.receiveImportFile(c)
	if errors.Is(err, userimport.ErrTooLarge) {
		return s.renderImport(c, http.StatusRequestEntityTooLarge, importView{FileError: err.Error()})
	}
	if err != nil {
		return s.renderImport(c, http.StatusUnprocessableEntity, importView{FileError: err.Error()})
	}
	return s.previewPlan(c, http.StatusOK, data, filename, "")
}

// previewPlan parses data against the users as they are now and shows the plan
// with a token to confirm it.
func (s *Server) previewPlan(c echo.Context, status int, data []byte, filename, refusal string) error {
	plan, err := s.planImport(c, data)
	var fileErr fileError
	if errors.As(err, &fileErr) {
		return s.renderImport(c, http.StatusUnprocessableEntity, importView{FileError: err.Error(), Filename: filename})
	}
	if err != nil {
		return err
	}
	tok, err := s.signImport(currentUser(c).ID, data, filename, plan.Digest())
	if err != nil {
		return err
	}
	return s.renderImport(c, status, importView{Plan: plan, Token: tok, Filename: filename, Error: refusal})
}

// fileError is a file the import cannot read at all.
type fileError struct{ error }

func (s *Server) planImport(c echo.Context, data []byte) (*userimport.Plan, error) {
	dir, err := userimport.Load(c.Request().Context(), s.store)
	if err != nil {
		return nil, err
	}
	plan, err := userimport.Parse(bytes.NewReader(data), dir)
	if err != nil {
		return nil, fileError{err}
	}
	return plan, nil
}

// confirmImport imports the previewed file.
func (s *Server) confirmImport(c echo.Context) error {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, maxConfirmBytes)
	user := currentUser(c)
	data, filename, digest, err := s.openImport(c, user.ID)
	if err != nil {
		return s.renderImport(c, http.StatusBadRequest, importView{FileError: err.Error()})
	}
	plan, err := s.planImport(c, data)
	if err != nil {
		return err // the bytes were read once already: any error now is ours
	}
	switch {
	case plan.Digest() != digest:
		return s.previewPlan(c, http.StatusConflict, data, filename,
			"Users or groups changed since the preview, so nothing was imported. Check this new preview and confirm again.")
	case plan.Invalid > 0 && c.FormValue("skip_invalid") != "1":
		have := "rows have"
		if plan.Invalid == 1 {
			have = "row has"
		}
		return s.previewPlan(c, http.StatusUnprocessableEntity, data, filename,
			fmt.Sprintf("Nothing was imported: %d %s errors. Tick the box to import the other rows without them, or correct the file and upload it again.", plan.Invalid, have))
	}
	res, err := userimport.Apply(r.Context(), s.store, plan, s.memberDueFor)
	if err != nil {
		return err
	}
	s.log.Info("users imported", "file", filename, "by", user.Email, "created", res.Created, "renamed", res.Renamed,
		"joined", res.Joined, "groups", res.GroupsCreated, "enrolled", res.Enrolled, "skipped", plan.Invalid)
	v := importView{Result: &res, Filename: filename, Plan: plan}
	if c.FormValue("invite") == "1" {
		for _, row := range plan.Rows {
			if row.Outcome != userimport.Create {
				continue
			}
			u, err := s.store.UserByEmail(r.Context(), row.Email)
			if err != nil {
				return err
			}
			if msg := s.inviteNew(c, u); msg != "" {
				v.Error = "Some invitations could not be queued; send them from the users’ pages."
				continue
			}
			v.Invited++
		}
	}
	return s.renderImport(c, http.StatusOK, v)
}

// receiveImportFile reads the "file" part of the upload form into memory,
// refusing a body over the limit before reading it when its length is
// declared, and after the limit when it is not.
func (s *Server) receiveImportFile(c echo.Context) ([]byte, string, error) {
	r := c.Request()
	if r.ContentLength > userimport.MaxImportBytes+importFormSlack {
		return nil, "", userimport.ErrTooLarge
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, userimport.MaxImportBytes+importFormSlack)
	var (
		src      io.Reader
		filename string
	)
	mr, err := multipartReader(c)
	if err != nil {
		return nil, "", errors.New("choose a CSV file to upload")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, "", errors.New("choose a CSV file to upload")
		}
		if err != nil {
			return nil, "", importReadError(err)
		}
		if part.FormName() == "file" {
			src, filename = part, part.FileName()
			break
		}
		part.Close()
	}
	data, err := userimport.Read(src)
	if err != nil {
		return nil, "", importReadError(err)
	}
	return data, cleanFilename(filename), nil
}

func importReadError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), errors.Is(err, userimport.ErrTooLarge):
		return userimport.ErrTooLarge
	case errors.Is(err, multipart.ErrMessageTooLarge):
		return userimport.ErrTooLarge
	}
	return fmt.Errorf("the upload was interrupted: %v", err)
}

// cleanFilename keeps a file name fit for display: valid UTF-8, short.
func cleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	if utf8.RuneCountInString(name) > 100 {
		name = string([]rune(name)[:100]) + "…"
	}
	return name
}

// importKey is the HMAC key of import tokens, derived from the session hash
// key so that neither signature can stand for the other.
func (s *Server) importKey() []byte {
	m := hmac.New(sha256.New, s.opt.SessionKeys[0])
	m.Write([]byte("lectern user import v1"))
	return m.Sum(nil)
}

func (s *Server) importMAC(userID uint, t importToken) []byte {
	m := hmac.New(sha256.New, s.importKey())
	for _, f := range []string{strconv.FormatUint(uint64(userID), 10), t.Expires, t.Digest, t.Filename, t.Data} {
		// Length-prefixed, so that no two field lists give the same input.
		fmt.Fprintf(m, "%d:%s,", len(f), f)
	}
	return m.Sum(nil)
}

func (s *Server) signImport(userID uint, data []byte, filename, digest string) (*importToken, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	t := &importToken{
		Data:     base64.RawURLEncoding.EncodeToString(buf.Bytes()),
		Filename: filename,
		Expires:  strconv.FormatInt(s.store.Now().Add(importPreviewTTL).Unix(), 10),
		Digest:   digest,
	}
	t.Sig = hex.EncodeToString(s.importMAC(userID, *t))
	return t, nil
}

var errImportToken = errors.New("this preview has expired or was changed; upload the file again")

// openImport checks the signed file of a confirmation and returns it.
func (s *Server) openImport(c echo.Context, userID uint) (data []byte, filename, digest string, err error) {
	t := importToken{
		Data: c.FormValue("data"), Filename: c.FormValue("filename"),
		Expires: c.FormValue("expires"), Digest: c.FormValue("digest"), Sig: c.FormValue("sig"),
	}
	sig, err := hex.DecodeString(t.Sig)
	if err != nil || !hmac.Equal(sig, s.importMAC(userID, t)) {
		return nil, "", "", errImportToken
	}
	exp, err := strconv.ParseInt(t.Expires, 10, 64)
	if err != nil || !s.store.Now().Before(time.Unix(exp, 0)) {
		return nil, "", "", errImportToken
	}
	zr, err := gzip.NewReader(base64.NewDecoder(base64.RawURLEncoding, bytes.NewReader([]byte(t.Data))))
	if err != nil {
		return nil, "", "", errImportToken
	}
	if data, err = userimport.Read(zr); err != nil {
		return nil, "", "", errImportToken
	}
	return data, t.Filename, t.Digest, nil
}
