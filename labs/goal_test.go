package labs

import "testing"

// Every lab's solution gives exactly its goal table under the evaluator, and the setup alone
// does not: a lab that is solved before the learner starts teaches nothing.
func TestSolutionsMeetGoalsAndSetupsDoNot(t *testing.T) {
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range all {
		t.Run(l.Name, func(t *testing.T) {
			r, err := l.Render(Options{})
			if err != nil {
				t.Fatal(err)
			}
			solved, err := r.EvaluateGoal(true)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range solved {
				if !g.Met() {
					t.Errorf("solution: %s -> %s %d/%s: want allowed=%t, evaluator says %t: %v", g.From, g.To, g.Port, g.Protocol, g.Allowed, g.Got, g.Reasons)
				}
			}
			unsolved, err := r.EvaluateGoal(false)
			if err != nil {
				t.Fatal(err)
			}
			missed := 0
			for _, g := range unsolved {
				if !g.Met() {
					missed++
				}
			}
			if missed == 0 {
				t.Errorf("the setup alone already meets every goal row")
			}
		})
	}
}
