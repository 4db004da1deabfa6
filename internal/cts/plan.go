package cts

import (
	"fmt"
	"strings"
)

// StepKind is one thing the tester does (FORMAT.md §4, action vocabulary).
type StepKind string

const (
	// Settle waits until the LMS has acted on the SCO's own navigation
	// request: the next SCO is delivered or the session ends. Without a
	// request it does nothing.
	Settle StepKind = "settle"
	// Choose triggers a choice navigation event for the item with a title.
	Choose StepKind = "choose"
	// Nav triggers a learner navigation event (continue, previous,
	// exitAll, suspendAll) through the player's controls.
	Nav StepKind = "nav"
	// Exit leaves the course (an Exit All event) through the player's exit
	// control (Finish; a one-SCO course's Exit) and waits for the end of
	// the session.
	Exit StepKind = "exit"
	// ExitIfActive exits when the session is still active.
	ExitIfActive StepKind = "exit-if-active"
	// Ended asserts that the session ended (or ends now) with no learner action.
	Ended StepKind = "ended"
	// Launch opens a package again as the same learner (a new session); Arg
	// is the package. When Then is set, the launch is to be followed by a
	// choice of that title if the LMS started another activity.
	Launch StepKind = "launch"
)

// Root stands for the organization's root activity in a Choose step.
const Root = "(root)"

// Step is one tester action.
type Step struct {
	Kind StepKind
	Arg  string // Choose: item title or Root; Nav: request; Launch: package
	Then string // Launch: the title to choose after launching
}

func (s Step) String() string {
	switch {
	case s.Then != "":
		return fmt.Sprintf("%s %s, choose %q", s.Kind, s.Arg, s.Then)
	case s.Arg != "":
		return fmt.Sprintf("%s %s", s.Kind, s.Arg)
	}
	return string(s.Kind)
}

// rootWording is how CUIs and questions name the organization's root.
const rootWording = "the activity that corresponds to the root of"

func chooseStep(title string) Step {
	if strings.HasPrefix(title, rootWording) {
		return Step{Kind: Choose, Arg: Root}
	}
	return Step{Kind: Choose, Arg: title}
}

// Plan turns a CUI value into tester steps (FORMAT.md §4). An empty CUI is an
// empty plan: the SCO navigates by itself or the LMS moves on.
func Plan(cui string) ([]Step, error) {
	if cui == "" {
		return nil, nil
	}
	parts := strings.Split(cui, "~")
	key, arg := parts[0], ""
	if len(parts) > 1 {
		arg = parts[1]
	}
	relaunch := func(pkg string) []Step {
		return []Step{{Kind: Settle}, {Kind: ExitIfActive}, {Kind: Launch, Arg: pkg}}
	}
	switch key {
	case "APIt1":
		return []Step{chooseStep("API Implementation Test 1")}, nil
	case "APIt2":
		return []Step{chooseStep("API Implementation Test 2")}, nil
	case "DMIt1", "DMIt2", "DMIt3", "DMIt4":
		return []Step{chooseStep("Data Model Implementation Test " + key[4:])}, nil
	case "Choice":
		return []Step{chooseStep(arg)}, nil
	case "ChoiceExit":
		return []Step{chooseStep(arg), {Kind: Ended}}, nil
	case "Continue":
		return []Step{{Kind: Nav, Arg: "continue"}}, nil
	case "Previous":
		return []Step{{Kind: Nav, Arg: "previous"}}, nil
	case "TRIGExitAll":
		return []Step{{Kind: Nav, Arg: "exitAll"}, {Kind: Ended}}, nil
	case "ContinueExitCM8":
		return []Step{{Kind: Nav, Arg: "continue"}, {Kind: Ended}, {Kind: Launch, Arg: "CM-08"}}, nil
	case "Exit":
		return []Step{{Kind: Settle}, {Kind: ExitIfActive}}, nil
	case "AutoTest", "HasEnded":
		return []Step{{Kind: Settle}, {Kind: Ended}}, nil
	case "ExitCM09ba":
		return []Step{{Kind: Exit}, {Kind: Launch, Arg: "CM-09ba"}}, nil
	case "SuspendCM09ca":
		return []Step{{Kind: Nav, Arg: "suspendAll"}, {Kind: Ended}, {Kind: Launch, Arg: "CM-09ca"}}, nil
	case "exitlaunch":
		return []Step{{Kind: Exit}, {Kind: Launch, Arg: arg}}, nil
	case "autoendrelaunch":
		return relaunch(arg), nil
	case "DMBx":
		return relaunch("DMB"), nil
	case "DMBxAct":
		p := relaunch("DMB")
		p[2].Then = "Data Model Behavior Test 1"
		return p, nil
	case "RelaunchCM10":
		p := relaunch("CM-10")
		p[2].Then = "Activity 4"
		return p, nil
	case "ReLaunchDDMa":
		return relaunch("DDMa"), nil
	case "ReLaunchDDMb":
		return relaunch("DDMb"), nil
	case "RootSX4b":
		return []Step{{Kind: Settle}, {Kind: Choose, Arg: Root}}, nil
	}
	// RelaunchCM5, RelaunchCM11, RelaunchOB3b, RelaunchRU14a, RelaunchSX4a, ...
	if pkg, ok := strings.CutPrefix(key, "Relaunch"); ok && pkg != "" {
		return relaunch(relaunchPackage(pkg)), nil
	}
	return nil, fmt.Errorf("cts: no tester plan for the instruction %q", cui)
}

// relaunchPackage turns the suffix of a Relaunch key into a package ID:
// CM5 -> CM-05, OB3b -> OB-03b, RU14a -> RU-14a, SX4a -> SX-04a.
func relaunchPackage(s string) string {
	i := 0
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	num := s[i:j]
	if len(num) == 1 {
		num = "0" + num
	}
	return s[:i] + "-" + num + s[j:]
}

// choosesAfterLaunch reports whether the plan relaunches a package and then
// chooses an item: the driver must then tolerate the LMS starting another
// activity first (see the grace flag in driver.js).
func choosesAfterLaunch(steps []Step) bool {
	for _, s := range steps {
		if s.Kind == Launch && s.Then != "" {
			return true
		}
	}
	return false
}
