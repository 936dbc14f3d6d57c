package redact

import "testing"

func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://app:8080/healthz", "http://app:8080/healthz"},
		{"postgres://app:s3cret@db:5432/x", "postgres://app:xxxxx@db:5432/x"},
		{"https://user@host/", "https://user@host/"},
		{"https://h/f?token=abc&page=2", "https://h/f?page=2&token=xxxxx"},
		{"https://h/f?X-Amz-Signature=abc&X-Amz-Credential=def", "https://h/f?X-Amz-Credential=xxxxx&X-Amz-Signature=xxxxx"},
		{"db:5432", "db:5432"},
		{"not a url %zz", "not a url %zz"},
		{"http://u:s3cr3t@[::1/x", "http://u:xxxxx@[::1/x"},
		{"http://u:p@ss@h%zz/", "http://u:xxxxx@h%zz/"},
	}
	for _, tt := range tests {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
