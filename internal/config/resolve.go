package config

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"
)

// SourceKind tells where a value came from.
type SourceKind int

const (
	FromDefault SourceKind = iota
	FromFile
	FromEnv
	FromFlag
)

// Source is where a value came from.
type Source struct {
	Kind  SourceKind
	Where string // the file and line, the variable or the flag
}

func (s Source) String() string {
	switch s.Kind {
	case FromFile:
		return s.Where
	case FromEnv:
		return "env " + s.Where
	case FromFlag:
		return "flag " + s.Where
	}
	return "default"
}

// Config is the settings in effect and where each came from.
type Config struct {
	Settings
	File    string            // the config file read ("": none)
	sources map[string]Source // by flag name
}

// Source tells where the value of the setting called name (its flag's
// name) came from.
func (c *Config) Source(name string) Source { return c.sources[name] }

// Flags are the command line's share of the settings: one flag per
// setting, plus --config and --print-config.
type Flags struct {
	fs          *pflag.FlagSet
	values      map[string]*flagValue
	file        string
	PrintConfig bool
}

// AddFlags defines a flag for every setting on fs, and --config and
// --print-config.
func AddFlags(fs *pflag.FlagSet) *Flags {
	f := &Flags{fs: fs, values: make(map[string]*flagValue)}
	fs.SortFlags = false // in the table's order, which groups them
	fs.StringVar(&f.file, "config", "", "read settings from the TOML `FILE` (keys as --print-config writes them)\nenv NETDISK_CONFIG")
	fs.BoolVar(&f.PrintConfig, "print-config", false, "print the settings in effect and where each came from, as a config file, and exit")
	def := Defaults()
	for _, s := range table {
		v := &flagValue{s: s}
		f.values[s.name] = v
		usage := s.usage
		if d := s.text(&def); d != "" && d != "0" && d != "false" {
			usage += " (default " + d + ")"
		}
		usage += fmt.Sprintf("\nkey %s, env %s", s.key(), s.env())
		fl := fs.VarPF(v, s.name, "", usage)
		if s.kind == kindBool {
			fl.NoOptDefVal = "true"
		}
	}
	return f
}

// Resolve reads the config file (--config, else $NETDISK_CONFIG) and the
// environment through getenv, and returns the settings in effect: each
// from its flag if given, else its variable if set (not empty), else the
// file, else the default. All problems found are reported together.
func (f *Flags) Resolve(getenv func(string) string) (*Config, error) {
	c := &Config{Settings: Defaults(), sources: make(map[string]Source)}
	for _, s := range table {
		c.sources[s.name] = Source{Kind: FromDefault}
	}
	c.File = f.file
	if c.File == "" {
		c.File = getenv("NETDISK_CONFIG")
	}
	var errs []error
	if c.File != "" {
		data, err := os.ReadFile(c.File)
		if err != nil {
			return nil, fmt.Errorf("reading the config file: %w", err)
		}
		if err := applyFile(&c.Settings, c.sources, c.File, data); err != nil {
			errs = append(errs, err)
		}
	}
	for _, s := range table {
		text := getenv(s.env())
		if text == "" {
			continue
		}
		v, err := s.parseText(text)
		if err != nil {
			errs = append(errs, &Error{Where: s.env(), Msg: err.Error()})
			continue
		}
		s.assign(&c.Settings, v)
		c.sources[s.name] = Source{Kind: FromEnv, Where: s.env()}
	}
	for _, s := range table {
		if v := f.values[s.name]; v.given {
			s.assign(&c.Settings, v.value)
			c.sources[s.name] = Source{Kind: FromFlag, Where: "--" + s.name}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// flagValue is the pflag.Value of a setting's flag. It keeps what the flag
// was given apart from the settings, which are put together only once the
// file and the environment are read.
type flagValue struct {
	s     *setting
	given bool
	value any
	text  string
}

func (v *flagValue) Set(text string) error {
	val, err := v.s.parseText(text)
	if err != nil {
		return err
	}
	if list, ok := val.([]string); ok && v.given {
		val = append(v.value.([]string), list...) // a repeated flag adds to the list
	}
	v.given, v.value, v.text = true, val, text
	return nil
}

func (v *flagValue) String() string { return v.text }
func (v *flagValue) Type() string {
	if v.s.kind == kindBool {
		return "bool" // so that help shows --plaintext, not --plaintext[=true]
	}
	return v.s.arg
}
func (v *flagValue) IsBoolFlag() bool { return v.s.kind == kindBool }
