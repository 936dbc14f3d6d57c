package bodytext

import (
	"testing"

	"github.com/initbox/initbox/internal/testutil/testfiles"
)

// Error pages as real servers send them.
const (
	pythonPage = testfiles.PythonNotFound
	nginxPage  = "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n"
	titleOnly  = `<!doctype html><html><head><title>Service &amp; Co. unavailable</title><style>body{color:red}</style></head><body><script>location.reload()</script></body></html>`
)

func TestReason(t *testing.T) {
	tests := []struct {
		name, body string
		n          int
		want       string
	}{
		{"python http.server", pythonPage, 100, "Error response Error code: 404 Message: File not found. Error code explanation: 404 - Nothing matche…"},
		{"nginx", nginxPage, 100, "404 Not Found nginx/1.22.1"},
		{"title when no text", titleOnly, 100, "Service & Co. unavailable"},
		{"cut in the text", pythonPage[:160], 100, "Error respon"},
		{"cut mid-tag", pythonPage[:178], 100, "Error response"},
		{"cut before the body", pythonPage[:120], 100, "Error response"},
		{"entities", "<p>a &lt;b&gt; &#233;&#xE9;&nbsp;&amp;&copy; &#99999999;</p>", 100, "a <b> éé &&copy; &#99999999;"},
		{"plain text", "warming up\n", 100, "warming up"},
		{"JSON", `{"error": "<b>not</b> ready"}`, 100, `{"error": "<b>not</b> ready"}`},
		{"cut at a rune", "ééé", 3, "é…"},
		{"empty", "", 100, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Reason(tt.body, tt.n); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
