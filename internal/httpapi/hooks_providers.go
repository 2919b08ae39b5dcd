package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"slices"
	"strings"
)

// provider describes one git host's push webhook.
type provider struct {
	name  string // path segment and metric label: "github"
	title string // for messages: "GitHub"
	// eventHeader names the event; pushEvent and pingEvent ("" for none)
	// are its values for a push and a ping.
	eventHeader, pushEvent, pingEvent string
	// credHeader carries the signature or token; credShape describes it
	// for the log.
	credHeader, credShape string
	deliveryHeader        string
	// wellFormed checks the credential's shape before any secret is read.
	wellFormed func(cred string) bool
	// verify reports, in constant time, whether cred authenticates body
	// for secret.
	verify func(secret string, body []byte, cred string) bool
	// parse reads the repository and ref of a push payload.
	parse func(contentType string, body []byte) (pushEvent, error)
}

// pushEvent is what fgd needs of a push: the ref and every URL the payload
// gives for the repository (at least one).
type pushEvent struct {
	ref  string
	urls []string
}

// providers are the git hosts served at /hooks/<name>.
var providers = []provider{
	{
		name: "github", title: "GitHub",
		eventHeader: "X-GitHub-Event", pushEvent: "push", pingEvent: "ping",
		credHeader: "X-Hub-Signature-256", credShape: "sha256=<64 hex digits>",
		deliveryHeader: "X-GitHub-Delivery",
		wellFormed:     func(c string) bool { return hexSHA256(strings.CutPrefix(c, "sha256=")) },
		verify: func(secret string, body []byte, c string) bool {
			return verifyHMAC(secret, body, strings.TrimPrefix(c, "sha256="))
		},
		parse: parseGitHubPush,
	},
	{
		name: "gitlab", title: "GitLab",
		eventHeader: "X-Gitlab-Event", pushEvent: "Push Hook",
		credHeader: "X-Gitlab-Token", credShape: "the secret token",
		deliveryHeader: "X-Gitlab-Event-UUID",
		wellFormed:     func(c string) bool { return c != "" },
		verify:         func(secret string, _ []byte, c string) bool { return equalSecret(c, secret) },
		parse:          parseGitLabPush,
	},
	{
		name: "gitea", title: "Gitea",
		eventHeader: "X-Gitea-Event", pushEvent: "push",
		credHeader: "X-Gitea-Signature", credShape: "<64 hex digits>",
		deliveryHeader: "X-Gitea-Delivery",
		wellFormed:     func(c string) bool { return hexSHA256(c, true) },
		verify:         verifyHMAC,
		parse:          parseGiteaPush,
	},
}

// hexSHA256 reports whether s (when ok) is a SHA-256 sum in hex.
func hexSHA256(s string, ok bool) bool {
	if !ok || len(s) != hex.EncodedLen(sha256.Size) {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// verifyHMAC reports whether sig is the hex HMAC-SHA256 of body keyed with
// secret, comparing in constant time.
func verifyHMAC(secret string, body []byte, sig string) bool {
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// equalSecret compares a token with a secret in constant time, lengths
// included: both are hashed first, so the time taken says nothing about how
// long the secret is.
func equalSecret(token, secret string) bool {
	a, b := sha256.Sum256([]byte(token)), sha256.Sum256([]byte(secret))
	return hmac.Equal(a[:], b[:])
}

// githubPush is the part of a GitHub push payload fgd reads.
type githubPush struct {
	Ref        string `json:"ref"`
	Repository *struct {
		CloneURL string `json:"clone_url"`
		SSHURL   string `json:"ssh_url"`
		HTMLURL  string `json:"html_url"`
		GitURL   string `json:"git_url"`
	} `json:"repository"`
}

// giteaPush is the part of a Gitea (or Forgejo) push payload fgd reads.
type giteaPush struct {
	Ref        string `json:"ref"`
	Repository *struct {
		CloneURL string `json:"clone_url"`
		SSHURL   string `json:"ssh_url"`
		HTMLURL  string `json:"html_url"`
	} `json:"repository"`
}

// gitlabPush is the part of a GitLab push payload fgd reads. Older GitLab
// versions name the URLs under "repository" only.
type gitlabPush struct {
	Ref     string `json:"ref"`
	Project *struct {
		GitHTTPURL string `json:"git_http_url"`
		GitSSHURL  string `json:"git_ssh_url"`
		WebURL     string `json:"web_url"`
	} `json:"project"`
	Repository *struct {
		GitHTTPURL string `json:"git_http_url"`
		GitSSHURL  string `json:"git_ssh_url"`
		Homepage   string `json:"homepage"`
	} `json:"repository"`
}

func parseGitHubPush(contentType string, body []byte) (pushEvent, error) {
	var p githubPush
	if err := decodePayload(contentType, body, &p); err != nil {
		return pushEvent{}, err
	}
	if p.Repository == nil {
		return newPushEvent(p.Ref)
	}
	r := p.Repository
	return newPushEvent(p.Ref, r.CloneURL, r.SSHURL, r.HTMLURL, r.GitURL)
}

func parseGiteaPush(contentType string, body []byte) (pushEvent, error) {
	var p giteaPush
	if err := decodePayload(contentType, body, &p); err != nil {
		return pushEvent{}, err
	}
	if p.Repository == nil {
		return newPushEvent(p.Ref)
	}
	r := p.Repository
	return newPushEvent(p.Ref, r.CloneURL, r.SSHURL, r.HTMLURL)
}

func parseGitLabPush(contentType string, body []byte) (pushEvent, error) {
	var p gitlabPush
	if err := decodePayload(contentType, body, &p); err != nil {
		return pushEvent{}, err
	}
	var urls []string
	if pr := p.Project; pr != nil {
		urls = append(urls, pr.GitHTTPURL, pr.GitSSHURL, pr.WebURL)
	}
	if r := p.Repository; r != nil {
		urls = append(urls, r.GitHTTPURL, r.GitSSHURL, r.Homepage)
	}
	return newPushEvent(p.Ref, urls...)
}

// decodePayload decodes a JSON payload into v, or the "payload" field of a
// form-encoded one (GitHub's and Gitea's other content type).
func decodePayload(contentType string, body []byte, v any) error {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && mt == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return fmt.Errorf("form-encoded body: %w", err)
		}
		payload := form.Get("payload")
		if payload == "" {
			return errors.New(`form-encoded body without a "payload" field (set the webhook's content type to application/json)`)
		}
		body = []byte(payload)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("not valid JSON for a push event: %w", err)
	}
	return nil
}

// newPushEvent checks a push's ref and keeps its non-empty URLs, once each.
func newPushEvent(ref string, urls ...string) (pushEvent, error) {
	ev := pushEvent{ref: ref}
	for _, u := range urls {
		if u = strings.TrimSpace(u); u != "" && !slices.Contains(ev.urls, u) {
			ev.urls = append(ev.urls, u)
		}
	}
	switch {
	case len(ev.urls) == 0:
		return pushEvent{}, errors.New("the payload names no repository URL")
	case ref == "":
		return pushEvent{}, errors.New(`the payload has no "ref"`)
	}
	return ev, nil
}
