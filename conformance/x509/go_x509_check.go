// Command go_x509_check verifies Sigil's X.509-SVID fixtures (x509_fixture_gen) with Go's
// crypto/x509: strict DER parsing and RFC 5280 path validation as go-spiffe uses them
// (Roots = the bundle, Intermediates = the rest of the chain, KeyUsages = any).
//
// Usage: go_x509_check <fixture dir>. Exits 1 when any case has the wrong outcome.
package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
)

func load(dir, name string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no certificates", name)
	}
	return certs, nil
}

type testCase struct {
	leaf          string
	intermediates []string
	roots         string
	wantOK        bool
	wantURI       string
}

func run(dir string, tc testCase) error {
	leaves, err := load(dir, tc.leaf)
	if err != nil {
		return err
	}
	leaf := leaves[0]
	roots := x509.NewCertPool()
	rootCerts, err := load(dir, tc.roots)
	if err != nil {
		return err
	}
	for _, c := range rootCerts {
		roots.AddCert(c)
	}
	inters := x509.NewCertPool()
	for _, name := range tc.intermediates {
		certs, err := load(dir, name)
		if err != nil {
			return err
		}
		for _, c := range certs {
			inters.AddCert(c)
		}
	}
	_, verr := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inters,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if tc.wantOK && verr != nil {
		return fmt.Errorf("rejected: %v", verr)
	}
	if !tc.wantOK {
		if verr == nil {
			return fmt.Errorf("accepted, want rejection")
		}
		return nil
	}
	if len(leaf.URIs) != 1 || leaf.URIs[0].String() != tc.wantURI {
		return fmt.Errorf("URI SANs %v, want exactly [%s]", leaf.URIs, tc.wantURI)
	}
	if leaf.IsCA || !leaf.BasicConstraintsValid {
		return fmt.Errorf("leaf basicConstraints: valid=%v cA=%v", leaf.BasicConstraintsValid, leaf.IsCA)
	}
	if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 || leaf.KeyUsage&x509.KeyUsageCertSign != 0 {
		return fmt.Errorf("leaf key usage %v", leaf.KeyUsage)
	}
	if leaf.SerialNumber.Sign() <= 0 || leaf.SerialNumber.BitLen() < 120 {
		return fmt.Errorf("serial %v is not a positive ~128-bit number", leaf.SerialNumber)
	}
	return nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go_x509_check <fixture dir>")
		os.Exit(2)
	}
	dir := os.Args[1]
	const workload = "spiffe://example.org/workload"
	cases := []testCase{
		{leaf: "leaf.pem", roots: "bundle.pem", wantOK: true, wantURI: workload},
		{leaf: "leaf_dns.pem", roots: "bundle.pem", wantOK: true, wantURI: "spiffe://example.org/web"},
		{leaf: "leaf_spki.pem", roots: "bundle.pem", wantOK: true, wantURI: workload},
		{leaf: "leaf_rsa.pem", roots: "bundle.pem", wantOK: true, wantURI: workload},
		{leaf: "leaf_inter.pem", intermediates: []string{"inter.pem"}, roots: "bundle.pem", wantOK: true, wantURI: workload},
		{leaf: "leaf_p384.pem", roots: "root_p384.pem", wantOK: true, wantURI: workload},
		{leaf: "leaf_inter.pem", roots: "bundle.pem", wantOK: false},
		{leaf: "foreign_leaf.pem", roots: "bundle.pem", wantOK: false},
		{leaf: "tampered_sig.pem", roots: "bundle.pem", wantOK: false},
		{leaf: "tampered_tbs.pem", roots: "bundle.pem", wantOK: false},
		{leaf: "leaf.pem", roots: "root_p384.pem", wantOK: false},
	}
	failed := 0
	for _, tc := range cases {
		want := "accept"
		if !tc.wantOK {
			want = "reject"
		}
		if err := run(dir, tc); err != nil {
			fmt.Printf("FAIL: %s (want %s): %v\n", tc.leaf, want, err)
			failed++
		} else {
			fmt.Printf("ok: %s: %s\n", tc.leaf, want)
		}
	}
	if failed > 0 {
		fmt.Printf("%d case(s) failed\n", failed)
		os.Exit(1)
	}
	fmt.Println("all Go crypto/x509 checks passed")
}
