package faultproxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

const (
	// dialTimeout bounds a backend dial; Close also cancels it.
	dialTimeout = 10 * time.Second
	// headTimeout bounds how long HTTP500 waits for a request head.
	headTimeout = 10 * time.Second
	// drainTimeout bounds how long a connection that was answered and
	// half-closed waits for the client to close its side.
	drainTimeout = 10 * time.Second
	// chunkSize is the largest piece forwarded, and delayed, at once.
	chunkSize = 32 << 10
)

// body500 is what HTTP500 answers, so a log on the client side names the cause.
const body500 = "faultproxy: injected 500 Internal Server Error\n"

// handle runs one accepted connection to its end under fault f.
func (p *Proxy) handle(ctx context.Context, client net.Conn, f Fault, o Options) {
	defer p.wg.Done()
	defer func() { <-p.slots }()
	defer p.open.Add(-1)
	defer p.release(client)

	switch f {
	case Refuse:
		// The deferred release closes it with nothing read: a plain FIN.
	case Reset:
		if tc, ok := client.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close now sends RST
		}
	case Blackhole:
		_, _ = io.Copy(io.Discard, client)
	case HTTP500:
		p.answer500(client)
	case Delay:
		p.pipe(ctx, client, o.Delay, -1)
	case Truncate:
		p.pipe(ctx, client, 0, o.TruncateAfter)
	default:
		p.pipe(ctx, client, 0, -1)
	}
}

// answer500 reads the request head, answers 500 and half-closes, then
// discards what the client still sends until it closes: closing a socket
// with unread data would send an RST that could destroy the answer.
func (p *Proxy) answer500(client net.Conn) {
	_ = client.SetReadDeadline(time.Now().Add(headTimeout))
	if _, err := http.ReadRequest(bufio.NewReader(client)); err != nil {
		p.log.Debug("http500: no request head", "err", err)
		return
	}
	head := "HTTP/1.1 500 Internal Server Error\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Length: " + strconv.Itoa(len(body500)) + "\r\n" +
		"Connection: close\r\n\r\n"
	if _, err := io.WriteString(client, head+body500); err != nil {
		return
	}
	finish(client)
}

// finish half-closes c and discards what the peer sends until it closes,
// for at most drainTimeout (Close ends it sooner).
func finish(c net.Conn) {
	closeWrite(c)
	_ = c.SetReadDeadline(time.Now().Add(drainTimeout))
	_, _ = io.Copy(io.Discard, c)
}

// pipe dials the backend and forwards both ways, holding each chunk for
// delay and passing at most limit bytes to the client (limit < 0: all).
func (p *Proxy) pipe(ctx context.Context, client net.Conn, delay time.Duration, limit int64) {
	d := net.Dialer{Timeout: dialTimeout}
	backend, err := d.DialContext(ctx, "tcp", p.backend)
	if err != nil {
		p.dialErrors.Add(1)
		p.log.Debug("backend unreachable", "err", err)
		return
	}
	if !p.track(backend) {
		return
	}
	defer p.release(backend)

	upDone := make(chan struct{})
	go func() {
		defer close(upDone)
		if _, err := p.forward(backend, client, delay, -1, &p.toBackend); err != nil {
			// The backend is gone or the client broke: end the answer
			// too, but keep reading the client so its last bytes do not
			// turn our close into an RST.
			_ = backend.Close()
			_, _ = io.Copy(io.Discard, client)
			return
		}
		closeWrite(backend) // the client finished its request
	}()

	truncated, err := p.forward(client, backend, delay, limit, &p.toClient)
	switch {
	case truncated:
		_ = backend.Close()
		closeWrite(client)
	case err != nil:
		// Pass the break on: the client must not take a cut answer for
		// a whole one.
		_ = client.Close()
	default:
		closeWrite(client) // the backend finished its answer
	}
	<-upDone
}

// forward copies src to dst chunk by chunk, waiting delay before writing
// each chunk and stopping once limit bytes are written (limit < 0: no
// limit). It reports whether it stopped at the limit; a clean end of src is
// a nil error.
func (p *Proxy) forward(dst, src net.Conn, delay time.Duration, limit int64, count *atomic.Int64) (bool, error) {
	buf := make([]byte, chunkSize)
	var sent int64
	for {
		if limit >= 0 && sent >= limit {
			return true, nil
		}
		n, rerr := src.Read(buf)
		if n > 0 {
			if delay > 0 && !p.wait(delay) {
				return false, ErrClosed
			}
			chunk := buf[:n]
			if limit >= 0 && int64(n) > limit-sent {
				chunk = chunk[:limit-sent]
			}
			w, werr := dst.Write(chunk)
			sent += int64(w)
			count.Add(int64(w))
			if werr != nil {
				return false, werr
			}
		}
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				return false, nil
			}
			return false, rerr
		}
	}
}

// wait holds for d, or reports false if the proxy is closed first.
func (p *Proxy) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.done:
		return false
	}
}

// closeWrite sends FIN on c and keeps it open for reading.
func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}
