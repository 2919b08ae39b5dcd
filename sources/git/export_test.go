package git

// SetAfterPoll makes p call f after each poll, once its subscribers are
// triggered; set it before Run.
func SetAfterPoll(p *Poller, f func()) { p.afterPoll = f }

// MaxPacks is the number of pack files past which Update clones afresh.
const MaxPacks = maxPacks
