package config

import (
	"net"
	"strconv"
	"strings"
)

// MinMaxConnections is the least api.max_connections: the reserve kept for
// /healthz, /readyz and /metrics needs a few connections of its own.
const MinMaxConnections = 16

// apiLimits checks the HTTP connection and event stream caps: streams must
// leave at least half the connections to everything else.
func (v *validator) apiLimits(a API) {
	if a.MaxConnections < MinMaxConnections {
		v.add("api.max_connections", "must be at least %d, got %d (default %d)", MinMaxConnections, a.MaxConnections, DefaultMaxConnections)
		return
	}
	if a.MaxEventStreams < 1 || a.MaxEventStreams > a.MaxConnections/2 {
		v.add("api.max_event_streams", "must be from 1 to half of api.max_connections (%d), got %d (default %d)",
			a.MaxConnections/2, a.MaxEventStreams, DefaultMaxEventStreams)
	}
}

// allowedHost checks one api.allowed_hosts entry: a host name or IP
// address, optionally with a port, as a Host header carries it.
func (v *validator) allowedHost(p, h string) {
	host := h
	if strings.ContainsAny(h, "/@?# ") {
		host = "" // a URL, not a Host header's value
	} else if hp, port, err := net.SplitHostPort(h); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			v.add(p, "port %q of %q is not a number from 1 to 65535", clip(port), clip(h))
			return
		}
		host = hp
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	}
	if host == "" || net.ParseIP(host) == nil && !isHostname(host) {
		v.add(p, "%q is not a host name or IP address, optionally with :port (e.g. fgd.example.com or fgd.example.com:8443); no scheme or path", clip(h))
	}
}
