package main

import (
	"fmt"
	"net"
	"net/url"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// startEtcd runs a single-member etcd on loopback ports and returns its client URL.
func startEtcd(dataDir string) (string, func(), error) {
	clientURL, err := freeLoopbackURL()
	if err != nil {
		return "", nil, err
	}
	peerURL, err := freeLoopbackURL()
	if err != nil {
		return "", nil, err
	}
	cfg := embed.NewConfig()
	cfg.Name = "test"
	cfg.Dir = dataDir
	cfg.LogLevel = "error"
	// A test server's data is thrown away; fsync only costs time.
	cfg.UnsafeNoFsync = true
	cfg.ListenClientUrls = []url.URL{*clientURL}
	cfg.AdvertiseClientUrls = []url.URL{*clientURL}
	cfg.ListenPeerUrls = []url.URL{*peerURL}
	cfg.AdvertisePeerUrls = []url.URL{*peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return "", nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(5 * time.Minute):
		e.Close()
		return "", nil, fmt.Errorf("not ready after 5 minutes")
	}
	return clientURL.String(), e.Close, nil
}

// freeLoopbackURL finds a free port on 127.0.0.1. The port is released before etcd binds it; another
// process taking it in between makes etcd fail to start, loudly.
func freeLoopbackURL() (*url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	return url.Parse("http://" + addr)
}
