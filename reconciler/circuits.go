package reconciler

// Circuit-breaker targets: one per git remote, shared by the fabrics of a
// repository, and one per sink of a fabric. The names appear in logs, in
// the fgd_circuit_state metric and in the fabric's record.

const remoteTargetPrefix = "git:"

// remoteTarget is the breaker target of a git remote, as Repository.Remote
// names it.
func remoteTarget(remote string) string { return remoteTargetPrefix + remote }

// sinkTarget is the breaker target of one sink of a fabric.
func sinkTarget(fabric, sink string) string { return "sink:" + fabric + "/" + sink }
