// Command nxdns answers every DNS question with NXDOMAIN and logs it. The
// e2e tests give it to Docker's embedded DNS as the upstream server, so
// names Docker does not know get a real NXDOMAIN without any query leaving
// the test's network, and the log shows which names the resolver tried.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/miekg/dns"
)

func main() {
	addr := flag.String("addr", ":53", "UDP address to listen on")
	flag.Parse()
	log.SetFlags(0)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		os.Exit(0)
	}()
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		for _, question := range q.Question {
			log.Printf("query %s %s", dns.TypeToString[question.Qtype], question.Name)
		}
		m := new(dns.Msg)
		m.SetRcode(q, dns.RcodeNameError)
		w.WriteMsg(m)
	})
	log.Printf("nxdns: answering NXDOMAIN on %s", *addr)
	log.Fatal((&dns.Server{Addr: *addr, Net: "udp", Handler: handler}).ListenAndServe())
}
