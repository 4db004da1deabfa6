package lti

import (
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Claim names and values of LTI 1.3 and LTI Advantage.
const (
	lti                  = "https://purl.imsglobal.org/spec/lti/claim/"
	claimMessageType     = lti + "message_type"
	claimVersion         = lti + "version"
	claimDeploymentID    = lti + "deployment_id"
	claimTargetLinkURI   = lti + "target_link_uri"
	claimResourceLink    = lti + "resource_link"
	claimRoles           = lti + "roles"
	claimContext         = lti + "context"
	claimCustom          = lti + "custom"
	claimPresentation    = lti + "launch_presentation"
	claimAGS             = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
	claimNRPS            = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
	claimDeepLinking     = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
	claimContentItems    = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
	claimDeepLinkingData = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
	claimDeepLinkingMsg  = "https://purl.imsglobal.org/spec/lti-dl/claim/msg"

	MessageResourceLink    = "LtiResourceLinkRequest"
	MessageDeepLinking     = "LtiDeepLinkingRequest"
	MessageDeepLinkingResp = "LtiDeepLinkingResponse"
	Version                = "1.3.0"

	ScopeLineItem   = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
	ScopeLineItemRO = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
	ScopeResult     = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
	ScopeScore      = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
	ScopeNRPS       = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

	roleMembership = "http://purl.imsglobal.org/vocab/lis/v2/membership"
)

// idToken is what Lectern reads of an id_token. Name and email are read to be
// kept only when the platform's settings allow.
type idToken struct {
	jwt.RegisteredClaims
	Nonce         string          `json:"nonce"`
	AZP           string          `json:"azp"`
	Name          string          `json:"name"`
	GivenName     string          `json:"given_name"`
	FamilyName    string          `json:"family_name"`
	Email         string          `json:"email"`
	MessageType   string          `json:"https://purl.imsglobal.org/spec/lti/claim/message_type"`
	Version       string          `json:"https://purl.imsglobal.org/spec/lti/claim/version"`
	DeploymentID  string          `json:"https://purl.imsglobal.org/spec/lti/claim/deployment_id"`
	TargetLinkURI string          `json:"https://purl.imsglobal.org/spec/lti/claim/target_link_uri"`
	ResourceLink  *resourceLink   `json:"https://purl.imsglobal.org/spec/lti/claim/resource_link"`
	Roles         *[]string       `json:"https://purl.imsglobal.org/spec/lti/claim/roles"`
	Context       *contextClaim   `json:"https://purl.imsglobal.org/spec/lti/claim/context"`
	Custom        map[string]any  `json:"https://purl.imsglobal.org/spec/lti/claim/custom"`
	Presentation  *presentation   `json:"https://purl.imsglobal.org/spec/lti/claim/launch_presentation"`
	AGS           *agsClaim       `json:"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"`
	NRPS          *nrpsClaim      `json:"https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"`
	DeepLinking   *deepLinkingReq `json:"https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"`
}

type resourceLink struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type contextClaim struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Title string `json:"title"`
}

type presentation struct {
	ReturnURL      string `json:"return_url"`
	DocumentTarget string `json:"document_target"`
}

type agsClaim struct {
	Scope     []string `json:"scope"`
	LineItems string   `json:"lineitems"`
	LineItem  string   `json:"lineitem"`
}

type nrpsClaim struct {
	ContextMembershipsURL string   `json:"context_memberships_url"`
	ServiceVersions       []string `json:"service_versions"`
}

type deepLinkingReq struct {
	ReturnURL      string   `json:"deep_link_return_url"`
	AcceptTypes    []string `json:"accept_types"`
	AcceptTargets  []string `json:"accept_presentation_document_targets"`
	AcceptMultiple *bool    `json:"accept_multiple"`
	AutoCreate     *bool    `json:"auto_create"`
	Title          string   `json:"title"`
	Text           string   `json:"text"`
	Data           string   `json:"data"`
}

// instructorRole tells whether roles make the user an instructor or an
// administrator of the context (who sees its report and picks its course).
func instructorRole(roles []string) bool {
	for _, r := range roles {
		switch {
		case r == roleMembership+"#Instructor", r == roleMembership+"#Administrator",
			r == "Instructor", r == "Administrator",
			strings.HasPrefix(r, roleMembership+"/Instructor#"), strings.HasPrefix(r, roleMembership+"/Administrator#"):
			return true
		}
	}
	return false
}
