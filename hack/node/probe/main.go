// Command probe is a tiny network test program for Pods on the real node (hack/node.sh) and the e2e tests.
//
//	probe [serve] [-addr :8080]          serve HTTP: every request gets "ok <hostname>\n"
//	probe probe [-timeout 3s] [-http] [-path /] HOST:PORT
//	                                      open ONE new TCP connection to HOST:PORT and exit 0 when it is
//	                                      accepted, 1 when not; with -http also send one GET PATH over it (no
//	                                      keep-alive) and require a 2xx answer
//
// Each probe opens a fresh connection: NetworkPolicy engines let ESTABLISHED flows through, so reusing a
// connection would make an allowed-then-denied path look unenforced.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	args := os.Args[1:]
	mode := "serve"
	if len(args) > 0 && (args[0] == "serve" || args[0] == "probe") {
		mode, args = args[0], args[1:]
	}
	switch mode {
	case "serve":
		os.Exit(serve(args))
	default:
		os.Exit(probe(args))
	}
}

func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", ":8080", "listen address")
	_ = fs.Parse(args)
	host, _ := os.Hostname()
	srv := &http.Server{
		Addr:              *addr,
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "ok %s\n", host)
		}),
	}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		<-stop
		_ = srv.Close()
	}()
	fmt.Printf("serving on %s\n", *addr)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func probe(args []string) int {
	fs := flag.NewFlagSet("probe", flag.ExitOnError)
	timeout := fs.Duration("timeout", 3*time.Second, "connect (and, with -http, answer) timeout")
	useHTTP := fs.Bool("http", false, "send one GET over the connection and require a 2xx status")
	path := fs.String("path", "/", "the path -http requests")
	_ = fs.Parse(args)
	if fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: probe probe [-timeout 3s] [-http] [-path /] HOST:PORT")
		return 2
	}
	target := fs.Arg(0)
	conn, err := net.DialTimeout("tcp", target, *timeout)
	if err != nil {
		fmt.Printf("FAIL %s: %v\n", target, err)
		return 1
	}
	defer conn.Close()
	if *useHTTP {
		_ = conn.SetDeadline(time.Now().Add(*timeout))
		if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", *path, target); err != nil {
			fmt.Printf("FAIL %s: %v\n", target, err)
			return 1
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			fmt.Printf("FAIL %s: %v\n", target, err)
			return 1
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			fmt.Printf("FAIL %s: HTTP %d\n", target, resp.StatusCode)
			return 1
		}
		fmt.Printf("OK %s HTTP %d\n", target, resp.StatusCode)
		return 0
	}
	fmt.Printf("OK %s\n", target)
	return 0
}
