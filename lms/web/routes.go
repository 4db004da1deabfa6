package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/lectern/lectern/lms/report"
)

// Access says who may call a route.
type Access string

const (
	Public  Access = "public"  // anyone
	Learner Access = "learner" // any signed-in, active user
	Admin   Access = "admin"   // signed-in admins
	Runtime Access = "runtime" // content origin: a launch token is the only authority
	API     Access = "api"     // /api: a bearer API token is the only authority, never the cookie
)

// Route is one entry of the route table.
type Route struct {
	Method, Path string
	Access       Access
	handler      echo.HandlerFunc
}

// routeTable is every route Lectern serves on the LMS origin, by access class.
func (s *Server) routeTable() []Route {
	return []Route{
		{http.MethodGet, "/healthz", Public, s.healthz},
		{http.MethodGet, "/static/:version/*", Public, s.static},
		{http.MethodGet, "/login", Public, s.loginPage},
		{http.MethodPost, "/login", Public, s.login},
		{http.MethodGet, "/login/link/:token", Public, s.loginLink},
		{http.MethodGet, "/verify", Public, s.verify},
		{http.MethodGet, "/verify/:code", Public, s.verify},

		{http.MethodGet, "/", Learner, s.home},
		{http.MethodPost, "/logout", Learner, s.logout},
		{http.MethodGet, "/courses/:id", Learner, s.player},
		{http.MethodGet, "/certificates/:code", Learner, s.certificateFile},

		{http.MethodGet, "/admin/courses", Admin, s.adminCourses},
		{http.MethodPost, "/admin/courses", Admin, s.uploadCourse},
		{http.MethodGet, "/admin/courses/:id", Admin, s.adminCourse},
		{http.MethodPost, "/admin/courses/:id/versions", Admin, s.uploadVersion},

		// Users (admin).
		{http.MethodGet, "/admin/users", Admin, s.adminUsers},
		{http.MethodPost, "/admin/users", Admin, s.createUser},
		{http.MethodGet, "/admin/users/import", Admin, s.importUsersPage},
		{http.MethodPost, "/admin/users/import", Admin, s.previewImport},
		{http.MethodPost, "/admin/users/import/confirm", Admin, s.confirmImport},
		{http.MethodGet, "/admin/users/:id", Admin, s.adminUser},
		{http.MethodPost, "/admin/users/:id", Admin, s.updateUser},
		{http.MethodPost, "/admin/users/:id/active", Admin, s.setUserActive},
		{http.MethodPost, "/admin/users/:id/password", Admin, s.resetPassword},
		{http.MethodPost, "/admin/users/:id/link", Admin, s.loginLinkFor},
		{http.MethodPost, "/admin/users/:id/groups", Admin, s.joinGroup},
		{http.MethodPost, "/admin/users/:id/groups/remove", Admin, s.leaveGroup},

		{http.MethodGet, "/admin", Admin, s.adminDashboard},
		{http.MethodGet, "/admin/outbox", Admin, s.outbox},
		{http.MethodGet, "/admin/courses/:id/enrolments", Admin, s.courseEnrolments},
		{http.MethodPost, "/admin/courses/:id/enrolments", Admin, s.enrol},
		{http.MethodPost, "/admin/courses/:id/settings", Admin, s.courseSettings},
		{http.MethodGet, "/admin/groups", Admin, s.groups},
		{http.MethodPost, "/admin/groups", Admin, s.createGroup},
		{http.MethodGet, "/admin/groups/:id", Admin, s.group},
		{http.MethodPost, "/admin/groups/:id/members", Admin, s.addMember},
		{http.MethodPost, "/admin/groups/:id/members/:user/remove", Admin, s.removeMember},

		// Reports (admin).
		{http.MethodGet, "/admin/courses/:id/report", Admin, s.courseReport},
		{http.MethodGet, "/admin/courses/:id/report.csv", Admin, s.courseReportFile(report.CSV)},
		{http.MethodGet, "/admin/courses/:id/report.xlsx", Admin, s.courseReportFile(report.XLSX)},
		{http.MethodGet, "/admin/courses/:id/interactions.csv", Admin, s.courseDetailsFile(report.KindInteractions, report.CSV)},
		{http.MethodGet, "/admin/courses/:id/interactions.xlsx", Admin, s.courseDetailsFile(report.KindInteractions, report.XLSX)},
		{http.MethodGet, "/admin/courses/:id/objectives.csv", Admin, s.courseDetailsFile(report.KindObjectives, report.CSV)},
		{http.MethodGet, "/admin/courses/:id/objectives.xlsx", Admin, s.courseDetailsFile(report.KindObjectives, report.XLSX)},
		{http.MethodGet, "/admin/attempts/:id/interactions.csv", Admin, s.attemptDetailsFile(report.KindInteractions, report.CSV)},
		{http.MethodGet, "/admin/attempts/:id/objectives.csv", Admin, s.attemptDetailsFile(report.KindObjectives, report.CSV)},
		{http.MethodGet, "/admin/users/:id/transcript", Admin, s.transcript},
		{http.MethodGet, "/admin/users/:id/transcript.csv", Admin, s.transcriptFile(report.CSV)},
		{http.MethodGet, "/admin/users/:id/transcript.xlsx", Admin, s.transcriptFile(report.XLSX)},

		// API (tokens).
		{http.MethodGet, "/admin/tokens", Admin, s.adminTokens},
		{http.MethodPost, "/admin/tokens", Admin, s.createToken},
		{http.MethodPost, "/admin/tokens/:id/revoke", Admin, s.revokeToken},
		{http.MethodGet, "/api/v1/openapi.json", API, s.apiOpenAPI},
		{http.MethodGet, "/api/v1/courses", API, s.apiCourses},
		{http.MethodGet, "/api/v1/courses/:id", API, s.apiCourse},
		{http.MethodGet, "/api/v1/users", API, s.apiUsers},
		{http.MethodPost, "/api/v1/users", API, s.apiCreateUser},
		{http.MethodGet, "/api/v1/users/:id", API, s.apiUser},
		{http.MethodPatch, "/api/v1/users/:id", API, s.apiUpdateUser},
		{http.MethodGet, "/api/v1/groups", API, s.apiGroups},
		{http.MethodPost, "/api/v1/groups", API, s.apiCreateGroup},
		{http.MethodPost, "/api/v1/groups/:id/members", API, s.apiAddMember},
		{http.MethodGet, "/api/v1/enrolments", API, s.apiEnrolments},
		{http.MethodPost, "/api/v1/enrolments", API, s.apiEnrol},
		{http.MethodGet, "/api/v1/results", API, s.apiResults},
		{http.MethodGet, "/api/v1/courses/:id/report.csv", API, s.courseReportFile(report.CSV)},
		{http.MethodGet, "/api/v1/courses/:id/report.xlsx", API, s.courseReportFile(report.XLSX)},
		{http.MethodGet, "/api/v1/users/:id/transcript.csv", API, s.transcriptFile(report.CSV)},
		{http.MethodGet, "/api/v1/users/:id/transcript.xlsx", API, s.transcriptFile(report.XLSX)},
		{http.MethodGet, "/api/*", API, s.apiUnknownRoute},
		{http.MethodPost, "/api/*", API, s.apiUnknownRoute},
		{http.MethodPatch, "/api/*", API, s.apiUnknownRoute},
		{http.MethodPut, "/api/*", API, s.apiUnknownRoute},
		{http.MethodDelete, "/api/*", API, s.apiUnknownRoute},

		// Audit and charts (admin).
		{http.MethodGet, "/admin/attempts/:id", Admin, s.adminAttempt},
		{http.MethodGet, "/admin/charts", Admin, s.adminCharts},
	}
}

// routes registers the route table with the middleware of each class.
func (s *Server) routes() {
	e := s.echo
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(s.recoverPanics, s.requestLog, s.securityHeaders, compressStatic(), s.csrf(), s.loadUser)
	guards := map[Access][]echo.MiddlewareFunc{
		Public:  nil,
		Learner: {s.requireUser},
		Admin:   {s.requireUser, s.requireAdmin},
		API:     {s.apiErrors, s.requireToken},
	}
	for _, r := range s.routeTable() {
		e.Add(r.Method, r.Path, r.handler, guards[r.Access]...)
	}
}

// Routes lists the route table, for the authorisation tests.
func (s *Server) Routes() []Route { return s.routeTable() }

// RegisteredRoutes lists what the router actually serves, as "METHOD path".
func (s *Server) RegisteredRoutes() []string {
	var out []string
	for _, r := range s.echo.Routes() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}
