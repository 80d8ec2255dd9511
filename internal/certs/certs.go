// Package certs makes and loads the server's TLS certificate and formats
// certificate fingerprints the way users compare them (SSH style:
// "SHA256:" and unpadded base64 of the SHA-256 of the DER certificate).
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"netdisk/internal/atomicfile"
)

// File names inside the certificate folder.
const (
	CertFile = "cert.pem"
	KeyFile  = "key.pem"
)

// Fingerprint formats the SHA-256 of a DER certificate.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// LoadOrCreate returns the certificate kept in dir, first generating a new
// self-signed ECDSA P-256 one (valid ten years) if there is none. created
// reports whether it was generated now.
func LoadOrCreate(dir string) (cert tls.Certificate, created bool, err error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	cert, err = tls.LoadX509KeyPair(certPath, keyPath)
	if err == nil {
		return cert, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return cert, false, fmt.Errorf("loading TLS certificate from %s: %w", dir, err)
	}
	if _, statErr := os.Stat(certPath); statErr == nil {
		// One of the pair exists without the other: do not paper over it by
		// generating a new identity that every client would refuse.
		return cert, false, fmt.Errorf("loading TLS certificate from %s: %w (remove both %s and %s to generate a new one)", dir, err, CertFile, KeyFile)
	}
	if err := Generate(dir); err != nil {
		return cert, false, err
	}
	cert, err = tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return cert, false, fmt.Errorf("loading the new TLS certificate: %w", err)
	}
	return cert, true, nil
}

// Generate writes a new key (mode 0600) and self-signed certificate to dir,
// replacing any there.
func Generate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating certificate folder: %w", err)
	}
	der, keyDER, err := generate()
	if err != nil {
		return err
	}
	if err := writePEM(filepath.Join(dir, KeyFile), "PRIVATE KEY", keyDER, 0o600); err != nil {
		return err
	}
	return writePEM(filepath.Join(dir, CertFile), "CERTIFICATE", der, 0o644)
}

// NewPEM returns a new self-signed certificate and its key, as Generate
// makes them, in one PEM text (the certificate, then the key), for
// servers that keep their identity elsewhere than in a folder.
func NewPEM() ([]byte, error) {
	der, keyDER, err := generate()
	if err != nil {
		return nil, err
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...), nil
}

// generate makes a self-signed ECDSA P-256 certificate, valid ten years,
// and returns it and its PKCS #8 key, DER-encoded.
func generate() (der, keyDER []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("generating serial number: %w", err)
	}
	host, _ := os.Hostname()
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "netdisk " + host},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if host != "" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("creating certificate: %w", err)
	}
	keyDER, err = x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding TLS key: %w", err)
	}
	return der, keyDER, nil
}

func writePEM(path, kind string, der []byte, mode os.FileMode) error {
	data := pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
	if err := atomicfile.Write(path, data, mode); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
