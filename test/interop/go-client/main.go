// A crypto/tls client for the puretls interop tests (standard library only).
//
// For each cipher suite in -suites (or once with Go's defaults when it is empty) it makes a
// fresh tls.Config and -n HTTPS GETs to https://<-name>:<-port>/ over new connections that
// share that config (and so one ClientSessionCache: Go offers its ticket or session ID again).
// It prints one JSON object with what Go saw on each connection.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"
)

type connectionFacts struct {
	Version    string `json:"version"`
	Cipher     string `json:"cipher"`
	DidResume  bool   `json:"didResume"`
	ALPN       string `json:"alpn"`
	ServerName string `json:"serverName"`
	Status     int    `json:"status"`
	Body       string `json:"body"`
}

type suiteRun struct {
	Suite       string            `json:"suite"`
	Connections []connectionFacts `json:"connections"`
}

type report struct {
	GoVersion string     `json:"goVersion"`
	Runs      []suiteRun `json:"runs"`
	Error     string     `json:"error,omitempty"`
}

var versionNames = map[uint16]string{
	tls.VersionTLS10: "TLSv1", tls.VersionTLS11: "TLSv1.1", tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3",
}

func main() {
	host := flag.String("host", "127.0.0.1", "address to connect to")
	port := flag.Int("port", 0, "server port")
	name := flag.String("name", "localhost", "server name (SNI and certificate check)")
	caFile := flag.String("ca", "", "PEM file with the certificate to trust")
	suites := flag.String("suites", "", "comma-separated IANA suite names: one run offering only that suite each")
	n := flag.Int("n", 2, "connections per run")
	flag.Parse()

	out := report{GoVersion: runtime.Version(), Runs: []suiteRun{}}
	var err error
	list := []string{""}
	if *suites != "" {
		list = strings.Split(*suites, ",")
	}
	for _, suite := range list {
		r := suiteRun{Suite: suite, Connections: []connectionFacts{}}
		err = run(*host, *port, *name, *caFile, suite, *n, &r)
		out.Runs = append(out.Runs, r)
		if err != nil {
			break
		}
	}
	if err != nil {
		out.Error = err.Error()
	}
	enc := json.NewEncoder(os.Stdout)
	_ = enc.Encode(out)
	if err != nil {
		os.Exit(1)
	}
}

func run(host string, port int, name, caFile, suite string, n int, out *suiteRun) error {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return fmt.Errorf("no certificate in %s", caFile)
	}
	config := &tls.Config{
		RootCAs:            roots,
		ServerName:         name,
		MinVersion:         tls.VersionTLS12,
		MaxVersion:         tls.VersionTLS12,
		NextProtos:         []string{"http/1.1"},
		ClientSessionCache: tls.NewLRUClientSessionCache(8),
	}
	if suite != "" {
		for _, s := range tls.CipherSuites() {
			if s.Name == suite {
				config.CipherSuites = []uint16{s.ID}
			}
		}
		if config.CipherSuites == nil {
			return fmt.Errorf("unknown cipher suite %s", suite)
		}
	}
	address := net.JoinHostPort(host, fmt.Sprint(port))
	transport := &http.Transport{
		TLSClientConfig:     config,
		DisableKeepAlives:   true, // a new connection (and handshake) per request
		TLSHandshakeTimeout: 10 * time.Second,
	}
	// Dial the given address whatever the URL's host is, so the URL can carry the name.
	transport.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		d := net.Dialer{Timeout: 10 * time.Second}
		return d.DialContext(ctx, network, address)
	}
	client := &http.Client{Transport: transport, Timeout: 20 * time.Second}
	for i := 0; i < n; i++ {
		resp, err := client.Get(fmt.Sprintf("https://%s/go/%d", net.JoinHostPort(name, fmt.Sprint(port)), i))
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.TLS == nil {
			return fmt.Errorf("response %d came without TLS", i)
		}
		st := resp.TLS
		out.Connections = append(out.Connections, connectionFacts{
			Version:    versionNames[st.Version],
			Cipher:     tls.CipherSuiteName(st.CipherSuite),
			DidResume:  st.DidResume,
			ALPN:       st.NegotiatedProtocol,
			ServerName: st.ServerName,
			Status:     resp.StatusCode,
			Body:       string(body),
		})
	}
	return nil
}
