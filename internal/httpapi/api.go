package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/fgdproject/fgd/internal/audit"
	"github.com/fgdproject/fgd/internal/state"
)

// Controller is what the mutating API calls need from the daemon.
type Controller interface {
	// Sync starts a sync of fabric now and returns its ID. Best when the
	// sync is in the store (pending at least) as Sync returns, so that
	// GET /api/v1/syncs/{id} finds it at once; one written a moment later
	// is waited for by ?wait=1 (fgd sync --wait). It returns ErrUnknownFabric
	// for a fabric that is not configured, *BusyError when a sync of the
	// fabric is running, and ErrSuspended for a suspended fabric. trigger
	// says who asked, e.g. "api 127.0.0.1:5555 token=operator".
	Sync(fabric string, trigger string) (syncID string, err error)
	// Suspend stops syncing fabric until Resume; ErrUnknownFabric when it
	// is not configured.
	Suspend(fabric string) error
	// Resume syncs fabric again after Suspend; ErrUnknownFabric when it is
	// not configured.
	Resume(fabric string) error
}

// ErrUnknownFabric is the Controller's answer for a fabric that is not
// configured; the API answers 404.
var ErrUnknownFabric = errors.New("unknown fabric")

// ErrSuspended is the Controller's answer to a sync of a suspended fabric;
// the API answers 409.
var ErrSuspended = errors.New("fabric is suspended")

// BusyError is the Controller's answer to a sync of a fabric whose sync is
// running; the API answers 409 with the running sync's ID.
type BusyError struct{ SyncID string }

// Error says which sync is running.
func (e *BusyError) Error() string { return "a sync is in progress: " + e.SyncID }

// Tokens are the files of the API's bearer tokens. They are read (with
// config.ReadSecret) on every request that needs them, so a rotated token
// takes effect without a restart.
type Tokens struct {
	// OperatorFile holds the token that mutating calls need; "" disables
	// mutating calls (403).
	OperatorFile string
	// OperatorName names the operator token in the audit log.
	OperatorName string
	// ReadFile, when set, holds the token that read calls need (the
	// operator token reads too); "" leaves reads open.
	ReadFile string
	// ReadName names the read token in the audit log.
	ReadName string
}

// Token names used when Tokens leaves them empty (the config's defaults).
const (
	defaultOperatorName = "operator"
	defaultReadName     = "reader"
)

// Limits of the API.
const (
	// defaultPollTimeout is how long a long poll waits without &timeout=.
	defaultPollTimeout = time.Minute
	// maxPollTimeout caps &timeout=.
	maxPollTimeout = 5 * time.Minute
	// defaultHeartbeat is the interval of the event stream's comments.
	defaultHeartbeat = 15 * time.Second
	// eventBatch is how many events the stream reads from the store at once.
	eventBatch = 256
)

// api serves the REST API and the event stream (SPEC §6).
type api struct {
	s         *Server
	store     *state.Store
	ctl       Controller
	tokens    Tokens
	audit     *audit.Log
	logger    *slog.Logger
	heartbeat time.Duration
	counts    kindCounts

	// shutdown is closed when the http.Server begins its shutdown, so long
	// polls answer and event streams end at once instead of holding the
	// shutdown for its whole timeout.
	shutdownOnce sync.Once
	shutdown     chan struct{}
}

// apiRoutes is the REST API and the event stream, served when
// Options.State is set; the mutating calls need Options.Controller too.
// newAPI returns the state shared by the API and the status page (one
// resource-count cache, one shutdown signal), or nil without a store.
func (s *Server) newAPI() *api {
	if s.opts.State == nil {
		return nil
	}
	a := &api{
		s:         s,
		store:     s.opts.State,
		ctl:       s.opts.Controller,
		tokens:    s.opts.Tokens,
		audit:     s.opts.Audit,
		logger:    s.logger,
		heartbeat: s.opts.EventHeartbeat,
		shutdown:  make(chan struct{}),
	}
	if a.tokens.OperatorName == "" {
		a.tokens.OperatorName = defaultOperatorName
	}
	if a.tokens.ReadName == "" {
		a.tokens.ReadName = defaultReadName
	}
	if a.heartbeat <= 0 {
		a.heartbeat = defaultHeartbeat
	}
	return a
}

func (s *Server) apiRoutes(a *api) []route {
	if a == nil {
		return nil
	}
	rs := []route{
		{pattern: "GET /api/v1/fabrics", handler: a.reader(a.listFabrics)},
		{pattern: "GET /api/v1/fabrics/{name}", handler: a.reader(a.getFabric)},
		{pattern: "GET /api/v1/fabrics/{name}/resources", handler: a.reader(a.listResources)},
		{pattern: "GET /api/v1/syncs/{id}", handler: a.reader(a.getSync)},
		{pattern: "GET /api/v1/events", handler: a.reader(a.events), streaming: true},
	}
	if a.ctl != nil {
		rs = append(rs,
			route{pattern: "POST /api/v1/fabrics/{name}/sync", handler: a.operator(a.postSync)},
			route{pattern: "POST /api/v1/fabrics/{name}/suspend", handler: a.operator(a.postSuspend)},
			route{pattern: "POST /api/v1/fabrics/{name}/resume", handler: a.operator(a.postResume)},
		)
	}
	return rs
}

// shuttingDown returns the channel closed when the server shuts down. The
// hook is registered on the first call: s.srv exists only once New has
// built the handler.
func (a *api) shuttingDown() <-chan struct{} {
	a.shutdownOnce.Do(func() {
		a.s.srv.RegisterOnShutdown(func() { close(a.shutdown) })
	})
	return a.shutdown
}

// ErrorBody is the JSON of every API error.
type ErrorBody struct {
	Error       string `json:"error"`
	Remediation string `json:"remediation,omitempty"`
	// SyncID and StatusURL name the running sync in a 409.
	SyncID    string `json:"sync_id,omitempty"`
	StatusURL string `json:"status_url,omitempty"`
}

// writeError answers with status and an ErrorBody.
func writeError(w http.ResponseWriter, status int, msg, remediation string) {
	writeJSON(w, status, ErrorBody{Error: msg, Remediation: remediation})
}

// record writes e to the audit log, when there is one; a failure is logged,
// and does not fail the request.
func (a *api) record(e audit.Entry) {
	if a.audit == nil {
		return
	}
	if err := a.audit.Record(e); err != nil {
		a.logger.Error("audit log write failed; the operation itself went ahead", "action", e.Action, "fabric", e.Fabric, "err", err)
	}
}
