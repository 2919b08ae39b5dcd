package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/fgdproject/fgd/internal/httpapi"
)

// progress shows a sync's stages as they are reached: on a terminal one
// line rewritten in place (carriage return and spaces, no escape
// sequences), otherwise one line per stage, for logs and pipes. A nil
// progress shows nothing.
type progress struct {
	w     io.Writer
	tty   bool
	shown int  // transitions already shown
	width int  // length of the terminal line now shown
	began bool // the header was printed
}

func newProgress(w io.Writer, tty bool) *progress { return &progress{w: w, tty: tty} }

// show prints what is new in sv since the last call.
func (p *progress) show(sv httpapi.SyncView) {
	if p == nil {
		return
	}
	if !p.began {
		p.began = true
		if !p.tty {
			fmt.Fprintf(p.w, "sync %s of %s (%s)\n", safe(sv.ID), safe(sv.Fabric), safe(sv.Trigger))
		}
	}
	if p.tty {
		if len(sv.Transitions) == p.shown && p.width > 0 {
			return
		}
		p.shown = len(sv.Transitions)
		line := fmt.Sprintf("sync %s of %s: %s (%.1fs)", safe(sv.ID), safe(sv.Fabric), safe(string(sv.State)), sv.Seconds)
		pad := max(p.width-len(line), 0)
		fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
		p.width = len(line)
		return
	}
	for _, t := range sv.Transitions[min(p.shown, len(sv.Transitions)):] {
		fmt.Fprintf(p.w, "  %-13s +%.2fs\n", safe(string(t.State)), t.At.Sub(sv.Started).Seconds())
	}
	p.shown = len(sv.Transitions)
}

// done ends the terminal line, so what follows starts on its own.
func (p *progress) done() {
	if p != nil && p.tty && p.width > 0 {
		fmt.Fprintln(p.w)
		p.width = 0
	}
}

// interrupt ends the terminal line before an error is printed.
func (p *progress) interrupt() { p.done() }
