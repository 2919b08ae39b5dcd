// Package resilience holds what fgd does after a failure (SPEC §4): errors
// classified by what happens next (transient, waiting, stalled), the retry
// schedule with exponential backoff and jitter, and the circuit breakers kept
// per remote and per sink.
package resilience

import (
	"errors"
	"fmt"
	"time"
)

// Class is what happens next after a failure (SPEC §4).
type Class int

// The classes of failure. The zero value is ClassTransient, so an error of
// unknown origin is retried with backoff.
const (
	// ClassTransient failures are retried with exponential backoff and
	// jitter: a timeout, a refused connection, a 5xx.
	ClassTransient Class = iota
	// ClassWaiting failures are retried once a given delay has passed: a
	// rate limit, a remote that moved while we pushed too often in a row,
	// an open circuit.
	ClassWaiting
	// ClassStalled failures need a human: bad credentials, a repository
	// that does not exist, bad configuration. Nothing is retried until the
	// configuration or the remote changes.
	ClassStalled
)

// String returns "transient", "waiting" or "stalled", the words used in
// logs, metrics labels and the API.
func (c Class) String() string {
	switch c {
	case ClassTransient:
		return "transient"
	case ClassWaiting:
		return "waiting"
	case ClassStalled:
		return "stalled"
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// Error is an error with its class: what the reconciler does next. Build one
// with Transient, Waiting or Stalled; read one back with ClassOf or
// errors.As.
type Error struct {
	// Class says what happens next.
	Class Class
	// After is how long to wait before the next attempt (ClassWaiting).
	After time.Duration
	// Err is the failure itself.
	Err error
	// Remediation tells the operator what to change (ClassStalled), e.g.
	// "check auth.password_file of fabric dc1".
	Remediation string
}

// Error returns the failure's message, followed by the remediation of a
// stalled error or the delay of a waiting one.
func (e *Error) Error() string {
	msg := "<nil>"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	switch {
	case e.Class == ClassStalled && e.Remediation != "":
		return msg + " (" + e.Remediation + ")"
	case e.Class == ClassWaiting && e.After > 0:
		return fmt.Sprintf("%s (retry in %s)", msg, e.After.Round(time.Millisecond))
	}
	return msg
}

// Unwrap returns the failure, so errors.Is and errors.As see through the
// classification.
func (e *Error) Unwrap() error { return e.Err }

// Transient marks err as transient: retry with backoff. A nil err stays nil.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: ClassTransient, Err: err}
}

// Waiting marks err as waiting: retry once after has passed. A nil err
// stays nil.
func Waiting(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &Error{Class: ClassWaiting, After: after, Err: err}
}

// Stalled marks err as stalled: no retry until something changes;
// remediation tells the operator what to change. A nil err stays nil.
func Stalled(err error, remediation string) error {
	if err == nil {
		return nil
	}
	return &Error{Class: ClassStalled, Err: err, Remediation: remediation}
}

// ClassOf returns the class of err: that of the outermost *Error in its
// chain, or ClassTransient when there is none (an unclassified error is
// assumed to pass). Check err != nil first: ClassOf(nil) is ClassTransient
// too.
func ClassOf(err error) Class {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Class
	}
	return ClassTransient
}

// AfterOf returns the delay a waiting error asks for, or 0.
func AfterOf(err error) time.Duration {
	if e, ok := errors.AsType[*Error](err); ok && e.Class == ClassWaiting {
		return e.After
	}
	return 0
}
