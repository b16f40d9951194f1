// Command kube-apiserver runs the upstream kube-apiserver (k8s.io/kubernetes/cmd/kube-apiserver/app)
// with an etcd embedded in the same process, so the tests need one binary and no etcd package.
//
// Usage: kube-apiserver --etcd-data-dir=DIR [kube-apiserver flags...]
//
// --etcd-data-dir must come first. The embedded etcd listens on free loopback ports and the
// program appends --etcd-servers for it; every other flag goes to kube-apiserver unchanged.
// Both stop when the process gets SIGTERM or SIGINT.
package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

const dataDirFlag = "--etcd-data-dir="

func main() {
	if len(os.Args) < 2 || !strings.HasPrefix(os.Args[1], dataDirFlag) {
		fmt.Fprintln(os.Stderr, "usage: kube-apiserver "+dataDirFlag+"DIR [kube-apiserver flags...]")
		os.Exit(2)
	}
	dataDir := strings.TrimPrefix(os.Args[1], dataDirFlag)
	etcd, err := startEtcd(dataDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "embedded etcd:", err)
		os.Exit(1)
	}
	clientURL := "http://" + etcd.Clients[0].Addr().String()
	fmt.Fprintln(os.Stderr, "embedded etcd serving on", clientURL)

	os.Args = append([]string{os.Args[0], "--etcd-servers=" + clientURL}, os.Args[2:]...)
	code := cli.Run(app.NewAPIServerCommand())
	etcd.Close()
	os.Exit(code)
}

// freePort asks the kernel for a free loopback port and releases it for etcd to bind.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startEtcd(dataDir string) (*embed.Etcd, error) {
	cfg := embed.NewConfig()
	cfg.Dir = dataDir
	cfg.Name = "test"
	cfg.LogLevel = "error"
	cfg.Logger = "zap"
	cfg.LogOutputs = []string{"stderr"}
	// Free loopback ports, so the advertised URLs are real ones (etcd dials its own client URL).
	clientPort, err := freePort()
	if err != nil {
		return nil, err
	}
	peerPort, err := freePort()
	if err != nil {
		return nil, err
	}
	client, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", clientPort))
	peer, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", peerPort))
	cfg.ListenClientUrls = []url.URL{*client}
	cfg.AdvertiseClientUrls = []url.URL{*client}
	cfg.ListenPeerUrls = []url.URL{*peer}
	cfg.AdvertisePeerUrls = []url.URL{*peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	cfg.ListenMetricsUrls = nil
	// A test cluster: no fsync per write.
	cfg.UnsafeNoFsync = true
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case err := <-e.Err():
		e.Close()
		return nil, err
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("not ready after 60s")
	}
}
