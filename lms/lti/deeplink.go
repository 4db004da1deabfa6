package lti

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

// Deep Linking 2.0: an instructor adding an activity in the platform picks a
// Lectern course; Lectern answers with a signed LtiDeepLinkingResponse that
// holds one ltiResourceLink to its launch URL (naming the course in a custom
// parameter) and a line item for the gradebook.

// ScoreMaximum is the line item's maximum: scores are posted as percentages.
const ScoreMaximum = 100

type contentItem struct {
	Type     string            `json:"type"`
	Title    string            `json:"title"`
	Text     string            `json:"text,omitempty"`
	URL      string            `json:"url"`
	Custom   map[string]string `json:"custom"`
	LineItem *lineItemSpec     `json:"lineItem,omitempty"`
}

type lineItemSpec struct {
	ScoreMaximum float64 `json:"scoreMaximum"`
	Label        string  `json:"label"`
	ResourceID   string  `json:"resourceId"`
	Tag          string  `json:"tag,omitempty"`
}

type deepLinkingResponse struct {
	jwt.RegisteredClaims
	Nonce        string        `json:"nonce"`
	AZP          string        `json:"azp,omitempty"`
	MessageType  string        `json:"https://purl.imsglobal.org/spec/lti/claim/message_type"`
	Version      string        `json:"https://purl.imsglobal.org/spec/lti/claim/version"`
	DeploymentID string        `json:"https://purl.imsglobal.org/spec/lti/claim/deployment_id"`
	ContentItems []contentItem `json:"https://purl.imsglobal.org/spec/lti-dl/claim/content_items"`
	Data         string        `json:"https://purl.imsglobal.org/spec/lti-dl/claim/data,omitempty"`
	Msg          string        `json:"https://purl.imsglobal.org/spec/lti-dl/claim/msg,omitempty"`
}

// ResourceID names a course in line items.
func ResourceID(courseID uint) string {
	return "lectern-course-" + strconv.FormatUint(uint64(courseID), 10)
}

// DeepLinkResponse signs the answer to a deep-linking request: the chosen
// course as a resource link with a line item, and the request's data echoed.
func (s *Service) DeepLinkResponse(ctx context.Context, ls *store.LTISession, course *store.Course) (returnURL, jwtValue string, err error) {
	var dl DeepLinkSettings
	if err := json.Unmarshal(ls.DeepLink, &dl); err != nil || dl.ReturnURL == "" {
		return "", "", fmt.Errorf("lti: this window is not a deep-linking request")
	}
	p, err := s.Store.LTIPlatformByID(ctx, ls.PlatformID)
	if err != nil {
		return "", "", err
	}
	deployment := ""
	if ls.ContextID != nil {
		if c, err := s.Store.LTIContextByID(ctx, *ls.ContextID); err == nil {
			deployment = c.DeploymentID
		}
	}
	if deployment == "" && len(p.Deployments) > 0 {
		deployment = p.Deployments[0]
	}
	id := strconv.FormatUint(uint64(course.ID), 10)
	now := time.Now()
	claims := deepLinkingResponse{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: p.ClientID, Audience: jwt.ClaimStrings{p.Issuer},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute)),
		},
		Nonce: account.NewToken(), AZP: p.ClientID, MessageType: MessageDeepLinkingResp, Version: Version, DeploymentID: deployment,
		ContentItems: []contentItem{{
			Type: "ltiResourceLink", Title: course.Title, URL: s.URL(PathLaunch),
			Custom:   map[string]string{"course_id": id},
			LineItem: &lineItemSpec{ScoreMaximum: ScoreMaximum, Label: course.Title, ResourceID: ResourceID(course.ID)},
		}},
		Data: dl.Data,
		Msg:  "Added " + course.Title,
	}
	signed, err := s.sign(ctx, claims)
	if err != nil {
		return "", "", err
	}
	return dl.ReturnURL, signed, nil
}
