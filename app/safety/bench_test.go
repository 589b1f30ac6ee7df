package safety

import (
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkAnalyze runs the three detectors over a 10,000-character post:
// ordinary forum writing with a few numbers, a phone number and a sentence
// of low mood in it. Besides the mean (ns/op) it reports the median and
// the 99th percentile of single calls.
func BenchmarkAnalyze(b *testing.B) {
	para := "My endo changed my basal again and my sugars have been all over the place this week, especially in the mornings. " +
		"Honestly I'm so tired of all of it some days, but the kids keep me going and the group here helps more than you know. " +
		"Does anyone else find the new sensor itchy? Mine left a red mark that took days to fade, and the adhesive patches help a bit. "
	text := strings.Repeat(para, 10000/len(para)+1)[:9800] + " Readings were 4.2 and 11.3; call the clinic on 613-555-0142 if needed."
	benchLatency(b, []string{text})
}

// BenchmarkAnalyzeCorpusPosts runs the detectors over 10,000-character
// posts made of development texts (crisis, urgent and personal data, in
// English and French, firing and not), so the context checks and the
// model's findings are part of what is timed.
func BenchmarkAnalyzeCorpusPosts(b *testing.B) {
	var posts []string
	var post strings.Builder
	for _, d := range []string{DetectorCrisis, DetectorUrgent, DetectorPersonal} {
		ex, err := Corpus("dev", d)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range ex {
			if post.Len()+len(e.Text) > 10000 {
				posts = append(posts, post.String())
				post.Reset()
			}
			post.WriteString(e.Text)
			post.WriteString("\n\n")
		}
	}
	benchLatency(b, posts)
}

// BenchmarkAnalyzeLongPosts runs the detectors over 10,000-character
// posts as members write them: ordinary posts of the development corpus
// (everyday*.tsv) with, in each, one crisis, one urgent and one
// personal-data text that should fire, at different places.
func BenchmarkAnalyzeLongPosts(b *testing.B) {
	benchLatency(b, longPosts(b))
}

// longPosts are the posts of BenchmarkAnalyzeLongPosts.
func longPosts(b testing.TB) []string {
	everyday, err := Corpus("dev", "everyday")
	if err != nil {
		b.Fatal(err)
	}
	var firing [3][]string
	for k, d := range []string{DetectorCrisis, DetectorUrgent, DetectorPersonal} {
		ex, err := Corpus("dev", d)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range ex {
			if e.Fire {
				firing[k] = append(firing[k], e.Text)
			}
		}
	}
	var posts []string
	var post strings.Builder
	next := 0
	for i := 0; len(posts) < 50; i++ {
		post.WriteString(everyday[i%len(everyday)].Text)
		post.WriteString("\n\n")
		if post.Len() > 2500*(1+i%3) && post.Len() < 7000 && i%4 == 0 {
			post.WriteString(firing[next%3][(i*7)%len(firing[next%3])])
			post.WriteString("\n\n")
			next++
		}
		if post.Len() >= 9500 {
			text := post.String()
			posts = append(posts, text[:min(len(text), 10000)])
			post.Reset()
		}
	}
	return posts
}

func benchLatency(b *testing.B, texts []string) {
	Warm()
	n := 0
	for _, t := range texts {
		n += len(t)
	}
	b.SetBytes(int64(n / len(texts)))
	b.ReportAllocs()
	var took []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		Analyze(texts[i%len(texts)])
		took = append(took, time.Since(start))
		i++
	}
	sort.Slice(took, func(a, c int) bool { return took[a] < took[c] })
	b.ReportMetric(float64(took[len(took)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns")
}

// Analyze is used by every request at once: goroutines reading different
// posts (new words among them, so the word caches grow and publish while
// others read) get what one goroutine alone gets. The goroutines go first:
// run alone (make test runs it alone under the race detector), they are
// also the engine's first texts, which build the rule tables and read the
// models while the others wait.
func TestAnalyzeConcurrently(t *testing.T) {
	posts := longPosts(t)[:12]
	const workers = 4
	got := make([][]Report, workers)
	var wg sync.WaitGroup
	for g := 0; g < workers; g++ {
		got[g] = make([]Report, len(posts))
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := range posts {
				i := (k + g*5) % len(posts)
				fresh := posts[i] + " Zebrafinch" + strconv.Itoa(g) + "quokka" + strconv.Itoa(k) // a word never seen
				got[g][i] = Analyze(posts[i])
				Analyze(fresh)
			}
		}(g)
	}
	wg.Wait()
	for i, p := range posts {
		want := Analyze(p)
		for g := range got {
			if !reflect.DeepEqual(got[g][i], want) {
				t.Errorf("post %d: goroutine %d's concurrent analysis differs from one made alone", i, g)
			}
		}
	}
}
