// Package pgtest runs a throwaway PostgreSQL server for tests, from the server binaries Debian's postgresql
// package installs (initdb and pg_ctl under /usr/lib/postgresql/<version>/bin).
//
// A test binary starts one server in TestMain, shares it between its tests and stops it at the end:
//
//	pg, err := pgtest.Start()
//	... tests use pg.DSN(), and fail (never skip) when err != nil ...
//	pg.Stop()
//
// The server lives in a temporary directory, listens on a free loopback port and keeps its unix socket in that
// directory, so it touches nothing outside it. Durability is switched off: the data is thrown away anyway.
package pgtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// ErrNoPostgres tells how to get the server binaries the tests run. Callers must fail on it, not skip: a machine
// without PostgreSQL must not pass the storage tests by running none of them.
var ErrNoPostgres = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: " +
	"install Debian's postgresql package (apt-get install -y postgresql; hack/ensure-packages.sh installs it)")

// Server is a running throwaway PostgreSQL server. Its only role is postgres, with trust authentication on
// 127.0.0.1.
type Server struct {
	dir, binDir, dsn string
	// cred runs the server tools as the postgres user when the tests run as root (initdb refuses root).
	cred *syscall.Credential
}

// DSN returns the connection string of the server's postgres database as its superuser.
func (s *Server) DSN() string { return s.dsn }

// binDir returns the bin directory of the newest PostgreSQL installed the Debian way.
func binDir() (string, error) {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		return "", ErrNoPostgres
	}
	version := func(p string) int {
		v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p))))
		return v
	}
	sort.Slice(found, func(i, j int) bool { return version(found[i]) > version(found[j]) })
	dir := filepath.Dir(found[0])
	if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err != nil {
		return "", ErrNoPostgres
	}
	return dir, nil
}

// Start initializes a cluster in a temporary directory and starts it on a free loopback port. initdb refuses to
// run as root, so as root the server runs as the postgres user that Debian's package creates.
func Start() (*Server, error) { return StartWith(Options{}) }

// Options place a server elsewhere than a free loopback port, for tests whose clients are not local processes
// (Pods of a test node).
type Options struct {
	// Address is the IP address to listen on (default 127.0.0.1).
	Address string
	// Port to listen on (default: a free port).
	Port int
	// TrustCIDRs are client ranges admitted without a password, besides loopback.
	TrustCIDRs []string
}

// StartWith is Start with Options.
func StartWith(o Options) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, binDir: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, and no postgres user to run the server as (%w): %w", err, ErrNoPostgres)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	addr, port := o.Address, o.Port
	if addr == "" {
		addr = "127.0.0.1"
	}
	if port == 0 {
		if port, err = FreePort(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
		"--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if len(o.TrustCIDRs) > 0 {
		var hba strings.Builder
		for _, cidr := range o.TrustCIDRs {
			fmt.Fprintf(&hba, "host all all %s trust\n", cidr)
		}
		f, err := os.OpenFile(filepath.Join(data, "pg_hba.conf"), os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			_, err = f.WriteString(hba.String())
			f.Close()
		}
		if err != nil {
			s.Stop()
			return nil, fmt.Errorf("pg_hba.conf: %w", err)
		}
	}
	// Durability is pointless for a throwaway server and costs most of the time of the store's erasure benchmark.
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=%s -c fsync=off -c synchronous_commit=off "+
		"-c full_page_writes=off -c max_connections=60 -c maintenance_work_mem=256MB", port, dir, addr)
	logFile := filepath.Join(dir, "postgres.log")
	if out, err := s.run("pg_ctl", "-D", data, "-l", logFile, "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(logFile)
		s.Stop()
		return nil, fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	s.dsn = fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", net.JoinHostPort(addr, strconv.Itoa(port)))
	return s, nil
}

func (s *Server) run(tool string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(s.binDir, tool), args...)
	cmd.Dir = s.dir
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// Stop shuts the server down without waiting for clients and removes its directory. It is safe on a nil Server,
// so TestMain can call it whatever Start returned.
func (s *Server) Stop() {
	if s == nil {
		return
	}
	data := filepath.Join(s.dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
		if out, err := s.run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"); err != nil {
			fmt.Fprintf(os.Stderr, "pg_ctl stop: %v\n%s\n", err, out)
		}
	}
	os.RemoveAll(s.dir)
}

// FreePort asks the kernel for a loopback port nobody uses; tests also use it as an address where no server
// listens. Another process could take the port before the server binds it; pg_ctl then fails with a clear
// message, which is rare enough for tests.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
