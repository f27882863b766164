// Package providertest holds what the fake platforms (tiktokshoptest, aliexpresstest) share: a local TLS server
// for in-process clients, and random identifiers. Like them it does not import package testing.
package providertest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"sync"
)

// TLSServer serves a handler on a local TLS server started on first use (httptest's certificate: see Client).
type TLSServer struct {
	// Cleanup is where Start registers Close (a test's t.Cleanup fits); without it the owner closes the server.
	Cleanup []func(func())

	mu  sync.Mutex
	srv *httptest.Server
}

// Start serves h and returns the server's https:// URL; a second call returns the same URL.
func (s *TLSServer) Start(h http.Handler) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		s.srv = httptest.NewTLSServer(h)
		for _, register := range s.Cleanup {
			register(s.Close)
		}
	}
	return s.srv.URL
}

// Client returns an HTTP client that trusts the server, or nil before Start.
func (s *TLSServer) Client() *http.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return nil
	}
	return s.srv.Client()
}

// Close stops the server; calls to it are then refused. It may be called more than once.
func (s *TLSServer) Close() {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// RandomHex returns 2n random hexadecimal digits.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return hex.EncodeToString(b)
}

// RandomDigits returns n random decimal digits.
func RandomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}
