package plugin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// The integration tier: the plugin against the local control plane.

func TestVersionShowsServerVersion(t *testing.T) {
	c := localcluster.ForTest(t)
	want, err := os.ReadFile(filepath.Join(localcluster.RepoRoot(), "hack", "KUBE_VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, "version", "--kubeconfig", c.Kubeconfig)
	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if wantLine := "Server Version: " + strings.TrimSpace(string(want)) + "\n"; !strings.Contains(r.stdout, wantLine) {
		t.Errorf("output %q lacks %q", r.stdout, wantLine)
	}
}

// Credentials the server does not accept (a client certificate from another CA) are a 401,
// reported as such rather than as an unreachable server.
func TestRejectedCredentials(t *testing.T) {
	c := localcluster.ForTest(t)
	certPEM, keyPEM := selfSignedClientCert(t)
	ca := c.RESTConfig.TLSClientConfig.CAData
	kubeconfig := writeKubeconfig(t, "stranger", c.RESTConfig.Host, ca, &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM})

	r := run(t, "version", "--kubeconfig", kubeconfig)
	if r.code != ExitUnreachable {
		t.Fatalf("exit %d, want %d; stderr %q", r.code, ExitUnreachable, r.stderr)
	}
	line := oneErrorLine(t, r)
	for _, want := range []string{"rejected our credentials", c.RESTConfig.Host, `context "stranger"`} {
		if !strings.Contains(line, want) {
			t.Errorf("message %q lacks %q", line, want)
		}
	}
}

func selfSignedClientCert(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "stranger"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}
