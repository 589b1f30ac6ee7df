package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kindred-health/kindred/app/safety"
)

// safetyCommand runs `kindred safety eval` and `kindred safety check`.
func safetyCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: kindred safety eval [--detector crisis|urgent|personal] [--split dev|test] [--misses] [--json] [FILE]\n       kindred safety check < text")
	}
	switch args[0] {
	case "check":
		text, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(safety.Analyze(string(text)))
	case "eval":
		return safetyEval(args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown safety command %q: use eval or check", args[0])
}

func safetyEval(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("safety eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	detector := fs.String("detector", "", "crisis, urgent or personal (with FILE: required)")
	split := fs.String("split", "test", "the corpus part to measure: dev or test")
	misses := fs.Bool("misses", false, "list every miss and false alarm")
	asJSON := fs.Bool("json", false, "end with one JSON line of the figures (with FILE)")
	cross := fs.Bool("cross", false, "leave each development file out of the model's training in turn and read it (crisis, urgent)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cross {
		detectors := []string{safety.DetectorCrisis, safety.DetectorUrgent}
		if *detector != "" {
			detectors = []string{*detector}
		}
		for _, d := range detectors {
			files, err := safety.CrossValidate(d)
			if err != nil {
				return err
			}
			safety.WriteCross(stdout, d, files)
		}
		return nil
	}
	if *detector != "" && *detector != safety.DetectorCrisis && *detector != safety.DetectorUrgent && *detector != safety.DetectorPersonal {
		return fmt.Errorf("--detector must be crisis, urgent or personal")
	}
	if fs.NArg() > 0 {
		if *detector == "" {
			return fmt.Errorf("name the detector to measure FILE with: --detector crisis|urgent|personal")
		}
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		ex, err := safety.ReadExamples(f)
		if err != nil {
			return fmt.Errorf("%s: %w", fs.Arg(0), err)
		}
		s := safety.Evaluate(*detector, ex)
		s.WriteTable(stdout, *misses)
		if *asJSON {
			return json.NewEncoder(stdout).Encode(s)
		}
		return nil
	}
	detectors := []string{safety.DetectorCrisis, safety.DetectorUrgent, safety.DetectorPersonal}
	if *detector != "" {
		detectors = []string{*detector}
	}
	fmt.Fprintf(stdout, "safety engine %s, %s split of the corpus\n", safety.Version, strings.ToLower(*split))
	for _, d := range detectors {
		ex, err := safety.Corpus(*split, d)
		if err != nil {
			return err
		}
		s := safety.Evaluate(d, ex)
		s.WriteTable(stdout, *misses)
		if *asJSON {
			if err := json.NewEncoder(stdout).Encode(s); err != nil {
				return err
			}
		}
	}
	return nil
}
