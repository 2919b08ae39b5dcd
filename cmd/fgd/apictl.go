package main

import (
	"errors"
	"log/slog"
	"strings"

	"github.com/fgdproject/fgd/internal/audit"
	"github.com/fgdproject/fgd/internal/httpapi"
	"github.com/fgdproject/fgd/reconciler"
)

// apiController lets the REST API steer the reconciler, translating the
// reconciler's errors into the API's.
type apiController struct{ rec *reconciler.Reconciler }

var _ httpapi.Controller = apiController{}

func (c apiController) Sync(fabric, trigger string) (string, error) {
	id, err := c.rec.SyncNow(fabric, reconciler.Trigger{Kind: "api", Detail: trigger})
	return id, controllerError(err)
}

func (c apiController) Suspend(fabric string) error { return controllerError(c.rec.Suspend(fabric)) }

func (c apiController) Resume(fabric string) error { return controllerError(c.rec.Resume(fabric)) }

func controllerError(err error) error {
	var busy *reconciler.BusyError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, reconciler.ErrUnknownFabric):
		return httpapi.ErrUnknownFabric
	case errors.Is(err, reconciler.ErrSuspended):
		return httpapi.ErrSuspended
	case errors.As(err, &busy):
		return &httpapi.BusyError{SyncID: busy.SyncID}
	}
	return err
}

// auditSync records the end of every sync with what triggered it.
func auditSync(log *audit.Log, logger *slog.Logger) func(reconciler.SyncStatus) {
	return func(st reconciler.SyncStatus) {
		outcome := audit.OutcomeCompleted
		if st.State != reconciler.StateCompleted {
			outcome = audit.OutcomeFailed
		}
		var actors, details []string
		for _, t := range st.Triggers {
			actors = append(actors, string(t.Kind))
			if t.Detail != "" {
				details = append(details, t.Detail)
			}
		}
		e := audit.Entry{
			Actor: strings.Join(actors, ","), Action: audit.ActionSync, Fabric: st.Fabric, Revision: st.Revision,
			Outcome: outcome, Detail: strings.Join(append(details, st.Error), "; "),
			Changes: map[string]any{
				"sync_id": st.ID, "files": st.Summary.Files, "created": st.Summary.Created, "updated": st.Summary.Updated,
				"unmanaged": st.Summary.Unmanaged, "commit": st.Commit,
			},
		}
		if len(st.Summary.Retired) > 0 {
			// The stale rejections a fix made history, for whoever asks
			// later where an entry of unmanaged/ went.
			e.Changes["retired"] = st.Summary.Retired
		}
		recordAudit(log, logger, e)
	}
}

// recordAudit writes e to the audit log; a failed write (a full disk) is
// logged, and the operation it records has gone ahead regardless.
func recordAudit(log *audit.Log, logger *slog.Logger, e audit.Entry) {
	if log == nil {
		return
	}
	if err := log.Record(e); err != nil {
		logger.Error("audit log write failed; the operation itself went ahead", "action", e.Action, "fabric", e.Fabric, "err", err)
	}
}
