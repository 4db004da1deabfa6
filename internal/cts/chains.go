package cts

import (
	"archive/zip"
	"fmt"
	"io"
	"path"

	"github.com/lectern/lectern/scorm"
	"github.com/lectern/lectern/scorm/seq"
)

// Chains groups test cases that share global objectives: the suite runs
// every test case as the same learner in its order (FORMAT.md §4), and some
// test cases read what an earlier one wrote to a global objective (CO-07b
// starts where CO-07a left gObj-CO07-obj1). Test cases whose packages name
// the same global objective target form one chain, in suite order, run by
// one learner; every other test case is a chain of its own. cases must be
// in suite order.
func (s *Suite) Chains(cases []*TestCase) ([][]*TestCase, error) {
	owner := map[string]int{} // global objective target -> chain
	var chains [][]*TestCase
	index := map[*TestCase]int{}
	for _, tc := range cases {
		var ids []string
		for _, p := range tc.Packages {
			g, err := s.globalTargets(p)
			if err != nil {
				return nil, err
			}
			ids = append(ids, g...)
		}
		// Join every chain that names one of these targets (merging
		// chains that this test case links).
		join := -1
		for _, id := range ids {
			c, ok := owner[id]
			if !ok {
				continue
			}
			if join < 0 || c == join {
				join = c
				continue
			}
			// Merge chain c into join, keeping suite order.
			merged := append(chains[join], chains[c]...)
			sortBySuite(merged, cases)
			chains[join], chains[c] = merged, nil
			for k, v := range owner {
				if v == c {
					owner[k] = join
				}
			}
			for _, x := range merged {
				index[x] = join
			}
		}
		if join < 0 {
			join = len(chains)
			chains = append(chains, nil)
		}
		chains[join] = append(chains[join], tc)
		index[tc] = join
		for _, id := range ids {
			owner[id] = join
		}
	}
	out := chains[:0]
	for _, c := range chains {
		if len(c) > 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

func sortBySuite(list []*TestCase, order []*TestCase) {
	pos := map[*TestCase]int{}
	for i, tc := range order {
		pos[tc] = i
	}
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && pos[list[j]] < pos[list[j-1]]; j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

// globalTargets lists the global objective targets a package's default
// organization maps to, when its objectives are global to the system
// (the default); a package that keeps them to its attempt shares none.
func (s *Suite) globalTargets(pkg string) ([]string, error) {
	zr, err := zip.OpenReader(s.Zip(pkg))
	if err != nil {
		return nil, fmt.Errorf("cts: %w", err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if path.Clean(f.Name) != "imsmanifest.xml" {
			continue
		}
		r, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("cts: %s: %w", pkg, err)
		}
		b, err := io.ReadAll(io.LimitReader(r, 8<<20))
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("cts: %s: %w", pkg, err)
		}
		p, err := scorm.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("cts: %s: %w", pkg, err)
		}
		if p.DefaultOrg == nil || !p.DefaultOrg.ObjectivesGlobalToSystem {
			return nil, nil
		}
		tr, _ := seq.Build(p.DefaultOrg, 1)
		return tr.GlobalIDs(), nil
	}
	return nil, fmt.Errorf("cts: %s has no imsmanifest.xml", pkg)
}
