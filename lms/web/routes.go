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
	Manager Access = "manager" // signed-in managers of groups, within their groups
	Runtime Access = "runtime" // content origin: a launch token is the only authority
	API     Access = "api"     // /api: a bearer API token is the only authority, never the cookie
	// LTI: a learning platform launches Lectern in its frame. LTILaunch
	// requests come from the platform; its signed id_token, a single-use
	// launch code or a registration link is the only authority. LTIWindow
	// requests come from a launched window and carry its session token in
	// the form; the cookie session is never consulted (see lti.go).
	LTILaunch Access = "lti-launch"
	LTIWindow Access = "lti-window"
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
		{http.MethodGet, "/readyz", Public, s.readyz},
		{http.MethodGet, "/static/:version/*", Public, s.static},
		{http.MethodGet, "/login", Public, s.loginPage},
		{http.MethodPost, "/login", Public, s.login},
		{http.MethodGet, "/login/link/:token", Public, s.loginLink},
		{http.MethodGet, "/verify", Public, s.verify},
		{http.MethodGet, "/verify/:code", Public, s.verify},
		{http.MethodGet, "/setup", Public, s.setupPage},
		{http.MethodPost, "/setup", Public, s.setUp},
		{http.MethodGet, "/login/forgot", Public, s.forgotPage},
		{http.MethodPost, "/login/forgot", Public, s.forgot},
		{http.MethodGet, "/password", Public, s.setPasswordPage},
		{http.MethodPost, "/password", Public, s.setPassword},
		{http.MethodGet, "/login/email", Public, s.emailLinkPage},
		{http.MethodPost, "/login/email", Public, s.useEmailLink},
		{http.MethodGet, "/login/sso", Public, s.ssoStart},
		{http.MethodGet, "/login/sso/callback", Public, s.ssoCallback},

		{http.MethodGet, "/", Learner, s.home},
		{http.MethodPost, "/logout", Learner, s.logout},
		{http.MethodGet, "/courses/:id", Learner, s.coursePage},
		{http.MethodPost, "/courses/:id", Learner, s.player},
		{http.MethodGet, "/courses/:id/play", Learner, s.playPage},
		{http.MethodPost, "/courses/:id/review", Learner, s.reviewCourse},
		{http.MethodPost, "/courses/:id/start", Learner, s.startAgain},
		{http.MethodGet, "/courses/:id/result", Learner, s.courseResult},
		{http.MethodGet, "/courses/:id/image", Learner, s.courseImage},
		{http.MethodGet, "/certificates/:code", Learner, s.certificateFile},
		{http.MethodGet, "/account", Learner, s.accountPage},
		{http.MethodPost, "/account", Learner, s.updateAccount},
		{http.MethodPost, "/account/password", Learner, s.changePassword},
		{http.MethodPost, "/account/password-link", Learner, s.passwordLinkForSelf},

		{http.MethodGet, "/admin/courses", Admin, s.adminCourses},
		{http.MethodPost, "/admin/courses", Admin, s.uploadCourse},
		{http.MethodGet, "/admin/courses/:id", Admin, s.adminCourse},
		{http.MethodPost, "/admin/courses/:id/versions", Admin, s.uploadVersion},
		// Course lifecycle (admin).
		{http.MethodPost, "/admin/courses/:id/details", Admin, s.updateCourseDetails},
		{http.MethodPost, "/admin/courses/:id/image", Admin, s.uploadCourseImage},
		{http.MethodPost, "/admin/courses/:id/image/remove", Admin, s.removeCourseImage},
		{http.MethodPost, "/admin/courses/:id/status", Admin, s.setCourseStatus},
		{http.MethodPost, "/admin/courses/:id/catalogue", Admin, s.setCourseCatalogue},
		{http.MethodPost, "/admin/courses/:id/delete", Admin, s.deleteCourse},
		{http.MethodPost, "/admin/courses/:id/test", Admin, s.testLaunch},

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
		{http.MethodPost, "/admin/users/:id/invite", Admin, s.inviteUser},
		{http.MethodPost, "/admin/users/:id/email-link", Admin, s.emailLinkFor},
		{http.MethodPost, "/admin/users/email", Admin, s.emailUsers},
		{http.MethodPost, "/admin/groups/:id/invite", Admin, s.inviteGroup},

		{http.MethodGet, "/admin", Admin, s.adminDashboard},
		{http.MethodGet, "/admin/outbox", Admin, s.outbox},
		{http.MethodGet, "/admin/settings", Admin, s.settingsPage},
		{http.MethodPost, "/admin/settings", Admin, s.saveSettings},
		{http.MethodGet, "/admin/courses/:id/enrolments", Admin, s.courseEnrolments},
		{http.MethodPost, "/admin/courses/:id/enrolments", Admin, s.enrol},
		{http.MethodGet, "/admin/enrolments/:id", Admin, s.adminEnrolment},
		{http.MethodPost, "/admin/enrolments/:id/due", Admin, s.correctDue},
		{http.MethodPost, "/admin/enrolments/:id/exempt", Admin, s.correctExempt},
		{http.MethodPost, "/admin/enrolments/:id/offline", Admin, s.correctOffline},
		{http.MethodPost, "/admin/enrolments/:id/unenrol", Admin, s.correctUnenrol},
		{http.MethodPost, "/admin/certificates/:code/revoke", Admin, s.revokeCertificate},
		{http.MethodPost, "/admin/certificates/:code/reissue", Admin, s.reissueCertificate},
		{http.MethodGet, "/admin/evidence/:id", Admin, s.evidenceFile},
		{http.MethodGet, "/admin/courses/:id/rules", Admin, s.courseRules},
		{http.MethodPost, "/admin/courses/:id/rules", Admin, s.previewRules},
		{http.MethodPost, "/admin/courses/:id/rules/confirm", Admin, s.confirmRules},
		{http.MethodGet, "/admin/groups", Admin, s.groups},
		{http.MethodPost, "/admin/groups", Admin, s.createGroup},
		{http.MethodGet, "/admin/groups/:id", Admin, s.group},
		{http.MethodPost, "/admin/groups/:id/members", Admin, s.addMember},
		{http.MethodPost, "/admin/groups/:id/enrolments", Admin, s.enrolGroupIn},
		{http.MethodPost, "/admin/groups/:id/members/:user/remove", Admin, s.removeMember},

		// Managers of groups, and admins making them.
		{http.MethodGet, "/manage", Manager, s.manageDashboard},
		{http.MethodPost, "/manage/groups/:id/remind", Manager, s.manageRemind},
		{http.MethodGet, "/manage/courses/:id/report", Manager, s.manageReport},
		{http.MethodGet, "/manage/courses/:id/report.csv", Manager, s.manageReportFile(report.CSV)},
		{http.MethodGet, "/manage/courses/:id/report.xlsx", Manager, s.manageReportFile(report.XLSX)},
		{http.MethodGet, "/manage/users/:id", Manager, s.manageLearner},
		{http.MethodGet, "/manage/users/:id/transcript.csv", Manager, s.manageLearnerFile(report.CSV)},
		{http.MethodGet, "/manage/users/:id/transcript.xlsx", Manager, s.manageLearnerFile(report.XLSX)},
		{http.MethodGet, "/manage/schedules", Manager, s.schedules},
		{http.MethodGet, "/manage/schedules/deliveries", Manager, s.scheduleDeliveries},
		{http.MethodPost, "/manage/schedules", Manager, s.createSchedule},
		{http.MethodPost, "/manage/schedules/:id/delete", Manager, s.deleteSchedule},
		{http.MethodPost, "/admin/groups/:id/managers", Admin, s.addManager},
		{http.MethodPost, "/admin/groups/:id/managers/:user/remove", Admin, s.removeManager},
		{http.MethodGet, "/admin/schedules", Admin, s.schedules},
		{http.MethodGet, "/admin/schedules/deliveries", Admin, s.scheduleDeliveries},
		{http.MethodPost, "/admin/schedules", Admin, s.createSchedule},
		{http.MethodPost, "/admin/schedules/:id/delete", Admin, s.deleteSchedule},

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
		{http.MethodPatch, "/api/v1/courses/:id", API, s.apiUpdateCourse},
		{http.MethodDelete, "/api/v1/courses/:id", API, s.apiDeleteCourse},
		{http.MethodGet, "/api/v1/courses/:id/image", API, s.apiCourseImage},
		{http.MethodGet, "/api/v1/users", API, s.apiUsers},
		{http.MethodPost, "/api/v1/users", API, s.apiCreateUser},
		{http.MethodPost, "/api/v1/users/:id/invitation", API, s.apiInvite},
		{http.MethodGet, "/api/v1/users/:id", API, s.apiUser},
		{http.MethodPatch, "/api/v1/users/:id", API, s.apiUpdateUser},
		{http.MethodGet, "/api/v1/groups", API, s.apiGroups},
		{http.MethodPost, "/api/v1/groups", API, s.apiCreateGroup},
		{http.MethodPost, "/api/v1/groups/:id/members", API, s.apiAddMember},
		{http.MethodGet, "/api/v1/groups/:id/managers", API, s.apiManagers},
		{http.MethodPost, "/api/v1/groups/:id/managers", API, s.apiAddManager},
		{http.MethodDelete, "/api/v1/groups/:id/managers/:user", API, s.apiRemoveManager},
		{http.MethodGet, "/api/v1/enrolments", API, s.apiEnrolments},
		{http.MethodPost, "/api/v1/enrolments", API, s.apiEnrol},
		{http.MethodPost, "/api/v1/enrolments/:id/unenrol", API, s.apiUnenrol},
		{http.MethodPost, "/api/v1/enrolments/:id/due", API, s.apiSetDue},
		{http.MethodPost, "/api/v1/enrolments/:id/exempt", API, s.apiSetExempt},
		{http.MethodPost, "/api/v1/enrolments/:id/offline", API, s.apiRecordOffline},
		{http.MethodPost, "/api/v1/certificates/:code/revoke", API, s.apiRevokeCertificate},
		{http.MethodPost, "/api/v1/certificates/:code/reissue", API, s.apiReissueCertificate},
		{http.MethodGet, "/api/v1/results", API, s.apiResults},
		{http.MethodGet, "/api/v1/audit", API, s.apiAudit},
		{http.MethodGet, "/api/v1/audit.csv", API, s.auditTrailFile(report.CSV)},
		{http.MethodGet, "/api/v1/courses/:id/report.csv", API, s.courseReportFile(report.CSV)},
		{http.MethodGet, "/api/v1/courses/:id/report.xlsx", API, s.courseReportFile(report.XLSX)},
		{http.MethodGet, "/api/v1/users/:id/transcript.csv", API, s.transcriptFile(report.CSV)},
		{http.MethodGet, "/api/v1/users/:id/transcript.xlsx", API, s.transcriptFile(report.XLSX)},
		{http.MethodGet, "/api/v1/lti/platforms", API, s.apiPlatforms},
		{http.MethodPost, "/api/v1/lti/platforms", API, s.apiCreatePlatform},
		{http.MethodDelete, "/api/v1/lti/platforms/:id", API, s.apiDeletePlatform},
		{http.MethodGet, "/api/*", API, s.apiUnknownRoute},
		{http.MethodPost, "/api/*", API, s.apiUnknownRoute},
		{http.MethodPatch, "/api/*", API, s.apiUnknownRoute},
		{http.MethodPut, "/api/*", API, s.apiUnknownRoute},
		{http.MethodDelete, "/api/*", API, s.apiUnknownRoute},

		// LTI 1.3 tool.
		{http.MethodGet, "/lti/jwks", Public, s.ltiJWKS},
		{http.MethodGet, "/lti/login", LTILaunch, s.ltiLogin},
		{http.MethodPost, "/lti/login", LTILaunch, s.ltiLogin},
		{http.MethodPost, "/lti/launch", LTILaunch, s.ltiLaunch},
		{http.MethodPost, "/lti/deep-link", LTILaunch, s.ltiLaunch},
		{http.MethodPost, "/lti/enter", LTILaunch, s.ltiEnter},
		{http.MethodGet, "/lti/register", LTILaunch, s.ltiRegisterStart},
		{http.MethodPost, "/lti/register", LTILaunch, s.ltiRegister},
		{http.MethodPost, "/lti/window", LTIWindow, s.ltiNewWindow},
		{http.MethodPost, "/lti/exit", LTIWindow, s.ltiExit},
		{http.MethodPost, "/lti/open", LTIWindow, s.ltiOpen},
		{http.MethodPost, "/lti/search", LTIWindow, s.ltiSearch},
		{http.MethodPost, "/lti/choose", LTIWindow, s.ltiChoose},
		{http.MethodPost, "/lti/change", LTIWindow, s.ltiChange},
		{http.MethodPost, "/lti/report", LTIWindow, s.ltiReport},
		{http.MethodPost, "/lti/report.csv", LTIWindow, s.ltiReportFile},
		{http.MethodPost, "/lti/roster", LTIWindow, s.ltiRoster},
		{http.MethodGet, "/admin/lti", Admin, s.adminLTI},
		{http.MethodPost, "/admin/lti/platforms", Admin, s.adminLTIAdd},
		{http.MethodPost, "/admin/lti/platforms/:id/remove", Admin, s.adminLTIRemove},
		{http.MethodPost, "/admin/lti/platforms/:id/keep", Admin, s.adminLTIKeep},
		{http.MethodPost, "/admin/lti/platforms/:id/deployments", Admin, s.adminLTIDeployment},
		{http.MethodPost, "/admin/lti/registrations", Admin, s.adminLTILink},
		{http.MethodPost, "/admin/lti/keys/rotate", Admin, s.adminLTIRotate},
		{http.MethodGet, "/admin/lti/scores", Admin, s.adminLTIScores},
		{http.MethodPost, "/admin/lti/scores/:id/retry", Admin, s.adminLTIRetry},

		// Audit and charts (admin).
		{http.MethodGet, "/admin/attempts/:id", Admin, s.adminAttempt},
		{http.MethodPost, "/admin/attempts/:id/review", Admin, s.adminReviewAttempt},
		{http.MethodGet, "/admin/charts", Admin, s.adminCharts},
		{http.MethodGet, "/admin/audit", Admin, s.adminAuditTrail},
		{http.MethodGet, "/admin/audit.csv", Admin, s.auditTrailFile(report.CSV)},
		{http.MethodGet, "/admin/audit.xlsx", Admin, s.auditTrailFile(report.XLSX)},
	}
}

// routes registers the route table with the middleware of each class.
func (s *Server) routes() {
	e := s.echo
	// The security headers come first, before routing, so that every
	// answer of the LMS origin carries them: pages, 404s, 405s and the
	// trailing-slash redirect alike.
	e.Pre(s.securityHeaders, middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(s.recoverPanics, s.requestLog, compressStatic(), s.loadUser, s.limitBody, s.csrf)
	guards := map[Access][]echo.MiddlewareFunc{
		Public:  nil,
		Learner: {s.requireUser},
		Admin:   {s.requireUser, s.requireAdmin},
		Manager: {s.requireUser, s.requireManager},
		API:     {s.apiErrors, s.requireToken},
		// Frameable by the platform, no cookie session; windows need their token.
		LTILaunch: {s.ltiFrame},
		LTIWindow: {s.ltiFrame, s.requireLTISession},
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
