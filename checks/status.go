package checks

import (
	"fmt"
	"strconv"
	"strings"
)

// statusSet is a list of accepted HTTP status ranges, inclusive.
type statusSet []struct{ lo, hi int }

// parseStatusSet reads "200-399" or "200,204,300-302"; empty means 200-399.
func parseStatusSet(s string) (statusSet, error) {
	if strings.TrimSpace(s) == "" {
		s = "200-399"
	}
	var set statusSet
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		loS, hiS, isRange := strings.Cut(part, "-")
		lo, err := parseStatus(loS)
		if err != nil {
			return nil, err
		}
		hi := lo
		if isRange {
			if hi, err = parseStatus(hiS); err != nil {
				return nil, err
			}
			if hi < lo {
				return nil, fmt.Errorf("range %q runs backwards", part)
			}
		}
		set = append(set, struct{ lo, hi int }{lo, hi})
	}
	return set, nil
}

func parseStatus(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 100 || n > 599 {
		return 0, fmt.Errorf("%q is not an HTTP status (100-599); want codes and ranges like 200-399,404", s)
	}
	return n, nil
}

func (s statusSet) has(code int) bool {
	for _, r := range s {
		if code >= r.lo && code <= r.hi {
			return true
		}
	}
	return false
}

func (s statusSet) String() string {
	parts := make([]string, len(s))
	for i, r := range s {
		if r.lo == r.hi {
			parts[i] = strconv.Itoa(r.lo)
		} else {
			parts[i] = fmt.Sprintf("%d-%d", r.lo, r.hi)
		}
	}
	return strings.Join(parts, ",")
}
