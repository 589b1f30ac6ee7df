package safety

import (
	"strconv"
	"strings"
)

// The urgent-medical detector: an emergency happening now, to the writer
// or someone with them. The same words about the past ("my stroke three
// years ago"), in a question about signs and symptoms, or settled since
// ("fine now") are low.

var urgentSpecs = []ruleSpec{
	{"en", "cardiac", LevelHigh, "", []string{
		"sitting on ...2 chest", "about to black out", "heart ...4 so fast|racing ...10 black out|faint|pass",
		"chest ...3 tight|tightness|heavy|pressure", "breastbone", "jaw ...3 hurts|pain|aches ...10 grey|gray|sweaty|sick|pale", "grey|gray|sweaty ...8 jaw", "about to faint|pass_out", "=pale ...6 faint", "pulse ...3 =3*|=2*", "heart rate|hr ...4 =1*",
		"chest pain|pressure|tightness|heaviness", "crushing|tight|heavy chest", "pain|pressure|tightness ...4 chest", "having|had ...2 heart attack", "think ...4 heart attack",
		"collapsed|collapse|passed_out ...6 breathing|breath|respond", "can not catch ...2 breath", "=icd|defibrillator ...4 shocked", "pain ...3 left_arm|jaw", "elephant ...3 chest",
		"heart ...3 racing|pounding ...6 dizzy|faint|pass_out|chest", "elephant ...5 chest", "going down ...2 left arm", "=cpr", "not breathing", "heart rate|racing ...8 pass out|faint|chest", "=sweaty|clammy|grey ...8 chest",
	}},
	{"fr", "cardiac", LevelHigh, "", []string{
		"entre les omoplates", "essouffle|essoufflee ...4 coup", "irradie ...4 bras|machoire", "=malaise ...6 tension",
		"douleur|serrement|oppression|poids ...4 poitrine|thorax|thoracique", "crise cardiaque", "infarctus", "effondre|effondree ...6 respire|repond", "bras gauche ...4 douleur|engourdi|mal",
		"mal ...3 poitrine", "defibrillateur ...4 choc",
	}},
	{"en", "stroke", LevelHigh, "", []string{
		"arm ...2 will not|won lift", "dropped ...3 cup|glass|phone ...10 arm|slurring|face|speech", "=slurring",
		"can not|cannot find ...2 words", "side ...3 gone|went|is weak", "speech ...3 off|strange|wrong", "seeing double",
		"face|mouth|smile ...4 droop*|crooked|lopsided|uneven", "droop*", "slurr*", "can not ...3 lift|raise|move ...3 arm|leg", "side of ...3 body|face ...4 numb|weak|heavy|dead",
		"words ...4 jumbled|wrong|mixed|garbled", "gibberish", "will|can not grip", "can not feel ...2 left|right ...3 leg|arm|side|face", "speech ...3 weird|slurred|strange|funny", "=stroke ...6 now|think|happening|call", "arm ...3 weak|numb ...6 face|speech|talk", "can not ...2 speak|talk|find words",
	}},
	{"fr", "stroke", LevelHigh, "", []string{
		"trouver ses|mes mots", "main ...3 tient plus",
		"trouve plus ses|mes mots", "main|bras ...3 repond plus", "vois double", "moitie du visage", "visage engourdi",
		"visage|bouche|sourire ...4 tombe|travers|tordu|paralyse", "melange ...3 mots", "mots ...3 melange*", "parle ...3 bizarre|mal|plus", "engourdi|paralyse|faible ...4 cote|bras|jambe",
		"=avc ...6 maintenant|crois|pense|train|appele", "arrive plus a parler|lever",
	}},
	{"en", "breathing_anaphylaxis", LevelHigh, "", []string{
		"can not get a full breath", "inhaler|puffer ...4 done|did nothing", "hard to even type|talk|speak",
		"can not get air", "every breath", "lips ...3 purple|blue", "hives ...10 voice|dizzy|breath|throat|face", "voice ...3 hoarse|weird|strange", "nebuliser|nebulizer ...4 not|hasn",
		"can not ...2 breathe|breath|breathing", "struggling|hard|trouble|difficult|fighting ...3 breath|breathe|breathing", "lips|tongue|throat|face|eyes ...4 swell*|swollen|closing|tight",
		"throat ...3 closing|tight", "blue lips", "lips ...2 blue|grey|gray", "wheez*|whistling", "sucking in ...3 ribs", "puffer|inhaler ...5 not helping|working", "epipen|epi",
		"anaphyla*", "gasping", "can not finish a sentence", "tongue ...4 huge|swollen|thick", "stung ...10 tongue|throat|breath|dizzy|swell*", "inhaler|puffer ...6 not doing anything", "pulling in ...3 ribs", "=grunting",
	}},
	{"fr", "breathing_anaphylaxis", LevelHigh, "", []string{
		"face|visage ...2 enfle|enfler|gonfle", "misere a respirer", "=epipen",
		"respire mal|plus|difficilement", "arrive ...2 pas|plus ...2 respirer", "levres|langue|gorge|visage ...4 gonfl*|enfl*", "gorge ...3 serre*|ferme*", "sifflement|siffle",
		"levres ...2 bleu*", "choc anaphylactique", "etouffe",
	}},
	{"en", "bleeding", LevelHigh, "", []string{
		"pressing ...6 minutes|forty|thirty|still", "still pouring", "=tarry", "spitting out ...3 blood", "mouthfuls of blood",
		"nose ...3 pouring|bleeding ...6 minutes|hour|thinners", "spitting ...3 blood", "blood thinners|warfarin|eliquis|xarelto|anticoagulant* ...14 fell|cut|bleeding|sleepy|confused|won|stop", "fresh blood", "cut ...3 will not|won stop",
		"bleeding ...4 heavily|heavy|lot|stop|soaking|clots|everywhere|through", "soaking ...3 pad|pads|through|towel", "blood ...3 everywhere|clots|gushing|pouring",
		"vomiting|coughing|throwing_up|puking ...2 blood", "pregnan* ...10 bleeding|blood|clots", "bleeding ...10 pregnan*|weeks", "heavy bleeding", "won not stop bleeding", "=spurting", "coffee grounds", "black ...3 poo|stool|stools|tarry", "nosebleed ...8 hour|hours|stop", "weeks ...12 bleeding|blood|clots", "bleeding ...4 blood thinners|warfarin|xarelto|eliquis",
	}},
	{"fr", "bleeding", LevelHigh, "", []string{
		"pisse le sang", "selles noires", "saigne ...2 enormement|beaucoup", "remplis ...3 serviette", "serviette ...4 heure",
		"saign* ...4 beaucoup|arrete|abondant|caillots|partout", "vomi* ...2 sang", "enceinte ...10 saign*|sang|caillots", "saign* ...10 enceinte|semaines", "hemorragie", "caillots", "crache ...2 sang", "semaines ...12 saign*|sang", "je saigne",
	}},
	{"en", "glycaemic", LevelHigh, "", []string{
		"i am at =1.*|=2.* ...6 shaking|dropping|foggy|confused", "keeps|keep dropping",
		"says|reads|shows =lo", "ketones ...3 =3*|=4*|=5*|=6*|=7*|=8*", "mg dl ...6 dropping|shaking|confused", "over =500|=600|=700 ...8 confused|vomit*|thirsty",
		"=hi|high ...3 meter|reading", "meter ...3 =hi", "ketones ...3 high|large|moderate", "=dka", "fruity breath", "can|will not ...2 wake ...6 sugar|diabet*|hypo|insulin|glucose",
		"unconscious|unresponsive|not_responding|confused ...8 sugar|diabet*|hypo|insulin|glucose|bg", "sugar|bg|glucose|reading ...8 confused|unconscious|unresponsive|not_making_sense|can_not_wake|seizure",
		"glucagon", "says|reads|shows =low", "dexcom|libre|cgm|meter ...4 =low", "can not ...2 swallow|eat|drink ...8 sugar|hypo|low|diabet*",
	}},
	{"fr", "glycaemic", LevelHigh, "", []string{
		"affiche =hi", "=hi ...3 lecteur", "cetones ...3 elevees|fortes", "acidocetose", "repond ...2 pas|plus ...8 glycemie|sucre|diabet*|hypo", "glycemie ...8 repond|confus|inconscient|convuls*", "melee|melée|confuse ...8 dexcom|glycemie|sucre|capteur|=low", "dexcom|libre|capteur ...4 =low|=lo", "veut rien avaler",
		"glucagon",
	}},
	{"en", "sepsis_chemo_fever", LevelHigh, "", []string{
		"=uti|infection ...10 confused|breathing fast|blotchy|mottled", "suddenly confused ...8 breathing|skin|fever|blotchy",
		"burning up ...10 nonsense|confused|heart rate|peed|shaking", "talking nonsense ...8 fever|burning|temp|infection", "infection ...10 confused|nonsense|mottled|burning up",
		"fever|temp|temperature ...10 chemo|chemotherapy|neutropen*|infusion", "chemo|chemotherapy ...10 fever|temp|temperature|shivering|rigors", "shivering|shaking|rigors ...6 fever|confused",
		"sepsis", "confused ...6 fever|temp", "=39*|38*|40* ...8 shaking|shivering|confused|muddled|rigors|chemo", "chemo|cycle|neutropenic|picc|counts ...12 38*|39*|40*|spiked", "=rigors", "mottled", "burning up", "spiked ...3 38*|39*|40*|fever",
	}},
	{"fr", "sepsis_chemo_fever", LevelHigh, "", []string{
		"=marbre|marbree|marbrures", "rougeur monte", "40 de fievre",
		"fievre|temperature ...10 chimio|chimiotherapie|neutropen*", "chimio|chimiotherapie ...10 fievre|temperature|grelotte|frissons", "grelotte|frissons ...6 fievre|confus*", "septicemie|sepsis", "chimio ...12 39*|38*|40*|confuse",
	}},
	{"en", "meningitis", LevelHigh, "", []string{
		"neck hurts to move", "neck ...4 hurts ...8 fever|vomit*|drowsy",
		"do not go ...4 glass", "pinprick* ...8 glass|stay", "neck ...3 stiff", "chin to ...2 chest", "screaming at the light",
		"rash|spots|dots|blotches ...8 glass|purple|purplish", "rash|spots|dots|blotches ...8 not ...2 fade|go_away|blanch", "glass test|tumbler", "stiff neck", "neck ...3 stiff|hurts ...6 fever|light", "light hurts", "purpura", "meningitis ...4 think|worried|signs now", "purple ...3 rash|spots|spotty", "rash ...10 glass", "glass ...6 fade|stay|stays", "soft spot ...3 bulging",
	}},
	{"fr", "meningitis", LevelHigh, "", []string{
		"taches mauves|violettes|rouges ...8 verre", "plier la nuque", "nuque ...3 plier",
		"taches|boutons|points ...8 verre|disparaissent_pas|violet*|pourpre*", "nuque raide", "raideur ...2 nuque", "mal ...2 nuque ...6 fievre", "purpura", "meningite", "taches violettes", "verre ...6 partent|disparaissent|disparait",
	}},
	{"en", "seizure", LevelHigh, "", []string{
		"went stiff ...4 jerking|shaking", "=jerking ...6 minutes|floor|table|head",
		"minutes now", "shaking all over", "started shaking", "foam* at ...2 mouth", "not waking up ...8 shaking|seizure|fit|breathing|snoring", "just had a fit|seizure", "longer than ...2 usual",
		"seizure|seizing|fit|convuls* ...8 minutes|stop|another|one_after|still|more_than|over", "=still seizing", "back to back seizures", "seizure ...4 not stopping", "fitting|seizing ...10 minutes|min|still", "shaking all over ...12 minutes|min|temp", "having another", "another one ...6 waking|half an hour|hour", "third one", "had a fit|seizure ...10 still|pregnant|weeks", "rescue med|medication ...4 not work", "=5 min",
	}},
	{"fr", "seizure", LevelHigh, "", []string{
		"une autre juste apres", "pas reveille entre",
		"crise ...8 minutes|arrete_pas|encore|une_autre|plus_de", "convuls*", "crise d epilepsie ...8 minutes|arrete",
	}},
	{"en", "poisoning_overdose", LevelHigh, "", []string{
		"pills ...2 with vodka|alcohol|wine|beer|whisky", "barely wake", "two|three|four days of ...3 meds|pills|tablets ...2 at once", "mixed up ...3 pill organiser|organizer|dosette|pills",
		"dishwasher tablet|pod", "took ...3 paracetamol|tylenol|acetaminophen|pills ...4 ago", "=30|=20|=40|=50|=60 ...2 paracetamol|tylenol|pills",
		"swallowed|ate|drank|drunk|chewed|bit|got_into ...6 pills|tablets|bleach|battery|batteries|detergent|pod|pods|capsule|medicine|vitamins|paracetamol|tylenol|ibuprofen|antifreeze|magnet|magnets|cleaner",
		"twice|double ...3 dose|doses|insulin|lantus|units|shot", "injected ...4 twice|double|wrong insulin", "poison control", "overdos*", "too much insulin", "gave myself ...6 instead of", "instead of ...2 lantus|basal|levemir|tresiba|weekly", "took ...6 twice", "took ...4 whole_week|all_at_once", "=pills at once", "got into ...6 pills|bag|handbag|cabinet",
	}},
	{"fr", "poisoning_overdose", LevelHigh, "", []string{
		"toute sa|ma boite", "somniferes ...8 whisky|alcool|respire|reveille", "debouch*", "a bu ...3 javel|produit|debouch*",
		"avale|croque|bu|mange|mordu ...6 pile|piles|javel|comprimes|cachets|lessive|capsule|medicaments|aimant|aimants|produit", "deux fois ...4 dose|insuline|injection", "double dose",
		"centre antipoison|anti_poison", "surdose|overdose", "trop ...2 insuline",
	}},
	{"en", "vision_headache", LevelHigh, "", []string{
		"flashing lights ...12 pregnant|puffy|swelling|headache", "agonising|agonizing ...3 eye", "=halos ...6 eye|pain|vomit*",
		"half of what i see", "went black|dark ...6 eye|see|vision|minutes", "curtain came down", "eye ...4 red and hard|halos", "banged|hit ...3 head ...12 vomiting|drowsy|worse|confused", "headache ...3 like_a_bomb|hit_like", "=hit like a",
		"sudden* ...4 vision|see|blind|sight", "can not see ...4 eye", "lost|losing ...2 vision|sight", "curtain|shadow ...4 eye|vision", "worst headache", "headache of my life",
		"worst ...2 headache|migraine", "thunderclap", "blind ...2 one eye", "vision ...4 gone|dark|blurry|went|black", "worst pain ever", "flashing lights ...8 headache|weeks|pregnant|bp", "headache ...10 weeks|pregnant|swelling|=bp",
	}},
	{"fr", "vision_headache", LevelHigh, "", []string{
		"perdre la vue", "rideau noir",
		"coup de masse", "le pire de ma vie", "eclairs lumineux", "tension ...2 =16*|=17*|=18*|=19*|=20*",
		"vois plus ...3 oeil|rien", "perdu la vue", "rideau ...4 oeil|vue", "pire ...3 mal_de_tete|migraine|cephalee", "mal de tete ...4 violent|brutal|coup_de_tonnerre", "coup de tonnerre",
	}},
	{"en", "child_red_flags", LevelHigh, "", []string{
		"no|hasn|not had ...3 wet nappy|nappies|diaper", "eyes ...2 sunken", "fell ...5 head ...10 vomit*|sleepy|drowsy",
		"will not feed", "hardly ...3 wet nappy|nappies", "vomiting green", "can not wake ...2 him|her ...2 properly", "face ...2 went grey|gray|blue", "not responding to me",
		"baby|newborn|infant|toddler ...10 floppy|limp|blue|grey|gray|pale|will_not_wake|not_waking|unresponsive|high_pitched|not_feeding|will_not_feed|fever",
		"swallowed ...4 battery", "button battery", "weeks old ...10 fever|limp|floppy|temp|38*|blue", "lips ...4 gone blue", "=grunting", "no wet nappy|nappies|diaper|diapers", "sunken soft spot", "hard to rouse|wake", "month old ...10 grunting|ribs|floppy|blue|limp",
	}},
	{"fr", "child_red_flags", LevelHigh, "", []string{
		"tombe ...6 tete ...10 vomi*|endormi*",
		"pleure sans larmes", "yeux creux", "reveille presque plus",
		"bebe|nourrisson|poupon ...10 mou|molle|bleu*|gris|pale|reveille_pas|repond_pas|aigu|mange_plus|boit_plus|fievre|reagit_pas", "pile bouton", "avale ...4 pile",
		"semaines ...10 fievre|mou|bleu*|38*",
	}},
}

var (
	educationEN   []pattern
	educationFR   []pattern
	settledEN     []pattern
	settledFR     []pattern
	idiomUrgentEN []pattern
	idiomUrgentFR []pattern
	pastUrgentEN  []pattern
	pastUrgentFR  []pattern
	nowUrgentEN   *wordSet
	nowUrgentFR   *wordSet
)

func urgent(v *view) []Finding {
	return urgentModel().judge(v, urgentRules(v))
}

// urgentRules is what the rules alone find.
func urgentRules(v *view) []Finding {
	hits := append(v.hitsOf(setUrgent)[:len(v.hitsOf(setUrgent)):len(v.hitsOf(setUrgent))], v.glucoseValues()...)
	found := findings{detector: DetectorUrgent}
	for _, h := range hits {
		sents := v.sentences()
		lo, hi := max(h.sentenceID-1, 0), min(h.sentenceID+1, len(sents)-1)
		level, ctx, skip := v.urgentContext(h, [2]int{sents[lo][0], sents[hi][1]})
		if skip {
			continue
		}
		if level == LevelHigh && v.negatedNear(h) {
			level, ctx = LevelLow, "negated"
		}
		found.add(v, h, level, ctx)
	}
	out := found.out
	for _, f := range v.readSignals(urgentSignals) {
		out = mergeFinding(out, f)
	}
	return out
}

var (
	glucoseWords  *wordSet
	confusedWords *wordSet
	glucoseRule   = &rule{id: "urgent.glycaemic.value", lang: "en", category: "glycaemic", level: LevelHigh}
)

// glucoseValues finds a dangerous glucose reading (under 2.8 mmol/L or
// 0.5 g/L, 20–50 mg/dL, or over 500 mg/dL) named as such, with confusion
// or another sign in the same sentence.
func (v *view) glucoseValues() []hit {
	var out []hit
	for si, sr := range v.sentences() {
		g := v.glucoseAt(si)
		if g < 0 {
			continue
		}
		if _, ok := v.any(confusedWords, "", sr[0], sr[1]); !ok {
			continue
		}
		for i := max(sr[0], g-4); i < min(sr[1], g+6); i++ {
			if !v.toks[i].num {
				continue
			}
			x, err := strconv.ParseFloat(v.toks[i].word, 64)
			if err != nil {
				continue
			}
			if (x > 0 && x < 2.8) || (x >= 20 && x <= 50) || x >= 500 {
				out = append(out, hit{r: glucoseRule, from: i, to: i + 1, sentence: sr, level: LevelHigh})
				break
			}
		}
	}
	return out
}

// generalQuestion: the sentence is a question that names nobody ("What
// does a stroke look like?"); a frightened writer names who it is
// happening to ("my husband", "I").
func (v *view) generalQuestion(h hit) bool {
	last := v.toks[h.sentence[1]-1]
	if !strings.HasPrefix(strings.TrimSpace(v.text[last.end:min(len(v.text), last.end+3)]), "?") {
		return false
	}
	_, named := v.any(peopleEN, "", h.sentence[0], h.sentence[1])
	_, namedFR := v.any(peopleFR, "", h.sentence[0], h.sentence[1])
	return !named && !namedFR
}

var peopleEN *wordSet

var peopleFR *wordSet

// glucoseAt is where sentence si first names a glucose reading, or -1
// (worked out once per sentence). Only a sentence with a number can hold
// a reading: the others are not searched.
func (v *view) glucoseAt(si int) int {
	sents := v.sentences()
	if len(v.glucose) != len(sents) {
		v.glucose = resize(v.glucose, len(sents))
		for i := range v.glucose {
			v.glucose[i] = -2 // not worked out yet
		}
	}
	if v.glucose[si] == -2 {
		v.glucose[si] = -1
		sr := sents[si]
		for i := sr[0]; i < sr[1]; i++ {
			if v.toks[i].num {
				if g, ok := v.any(glucoseWords, "", sr[0], sr[1]); ok {
					v.glucose[si] = g
				}
				break
			}
		}
	}
	return v.glucose[si]
}

// urgentSets compiles this file's pattern and word sets (see compileSets).
func urgentSets() {
	educationEN = patterns("en", "what does ...3 feel like", "is a|an ...6 always", "what temperature|temp ...6 call", "does anyone know", "how long ...4 effective|last|good",
		"=reminder|=awareness|=campaign", "awareness month|week|day", "share with", "how do you|i do", "at what temp|point|number", "where do ...2 people|you", "when to use", "what are|is the ...2 signs|symptoms", "signs of", "how do|can you|i|we ...2 tell|know", "how to tell|spot|recognise|recognize", "difference between",
		"explain", "teach", "=learn|learning|learnt", "why are|is ...4 dangerous", "what does ...3 mean", "warning signs", "in case", "=course|training|class", "should i worry if", "what to do if|when", "is it true", "=nurse|doctor ...4 mentioned",
		"=psa|study|studies|article|research|sharing|share|tips|folks|detectors|detector", "purple day", "=leaflet|pamphlet|brochure|guidelines|handout|hotline", "tape|check|test your", "can burn|cause|kill",
		"=care_plan", "=pinning|pinned", "know the signs", "if you are on", "=sepsis_day|awareness_day", "keep a thermometer", "wish someone had told me", "for parents of", "understand ...3 what", "what numbers", "how does ...3 work", "=if ...6 is it|should|do_i|do_we", "if i am ever", "=if_ever", "=women|men|people ...6 symptoms|signs")
	educationFR = patterns("fr", "quels sont les ...2 signes|symptomes", "signes de|d", "comment ...2 savoir|reconnaitre|differencier", "difference entre", "expliquer|expliquez", "pourquoi ...4 dangereu*",
		"reportage|documentaire|formation|cours", "au cas ou", "que faire si", "=rappel|partagez|verifiez|detecteur*|detecteurs|journee|etude|article|sensibilisation",
		"tout petits", "parlez en", "comment fonctionne", "avant d en avoir besoin", "quand est ce qu il faut", "a partir de combien", "comment on utilise", "a partir de quelle", "quelle fievre", "prepare une liste", "pour les parents", "peut ressembler", "chez l enfant", "=les signes|symptomes", "chez_la_femme|les_femmes", "=si ...6 est_ce|faut_il")
	settledEN = patterns("en", "all good", "fine now", "back to normal", "under control", "well controlled", "went away", "resolved", "nothing since", "checked me", "came back up",
		"settled", "=stable", "=ok|okay now", "doing great", "doing fine now", "never happened again", "never had another", "=home now", "we are home", "=discharged", "stopped after", "turned out to be|fine|nothing",
		"removed it", "as usual", "and doing well", "antacids|gaviscon|tums ...2 help|helps|helped", "temp|temperature =36*|=37*", "stopped in|with", "have not had another|since", "sleeping|slept funny|wrong", "no breathing trouble", "down by evening", "small swelling", "in the stroke unit", "sent us home", "like nothing happened", "fever|pain|swelling|rash is gone", "feeding great", "troponins|tests|ecg|scan ...4 normal|clear|fine", "they said ...3 reflux|anxiety|muscle|nothing", "much better", "no bleeding", "treated it", "back up", "=stopped =bleeding", "nothing like that", "fever broke", "eating again", "=harmless", "and fine", "=doc|doctor checked", "=done_now", "he|she is ...1 now", "scariest ...3 of my life", "fade normally", "no harm done", "sorted it", "=plaster|bandaid", "home from the er|hospital|ed|a&e", "no rebound", "seizure|symptom|attack|hypo free", "is helping|helped|helps", "=mild", "stopped quickly|after|on_its_own|by_itself", "gone in", "=fades|=faded|=blanches completely|when|under|with", "just logging", "nothing new", "part of life", "back part time", "all fine", "is fine now", "=clear", "eating ice cream")
	settledFR = patterns("fr", "tout va bien", "sous controle", "va mieux", "est passe|passee", "remonte", "stable", "rien depuis", "va bien", "on est rentres|rentrees", "de retour a la maison", "retour des urgences", "on m a renvoyee|renvoye", "c etait finalement", "arrete en|apres", "va tres bien",
		"est arrete|arretee", "bien recupere", "tout est beau", "de retour chez moi", "=rassure|rassuree", "retourne a l ecole", "=febriles", "rentre dans l ordre", "=regle|reglee", "=ouf", "pas dangereux", "bien maintenant", "remarche", "partent ...3 verre", "tout s est bien passe", "=sortie|sorti de le hopital", "comme d habitude")
	idiomUrgentEN = patterns("en", "heart attack on a plate", "chest day", "stroke of luck|genius|midnight", "nearly|almost ...2 had a heart_attack|stroke", "gave me a heart attack",
		"heart skipped", "bleeding me dry", "stroke my|the|his|her", "heat|work|job|kids|boss|feet|back|knees ...3 killing me", "dying to", "=figuratively", "=humidity|heat_wave", "blood test|tests|work|draw|sugar|sugars|pressure|type|donation|results|glucose", "blood is boiling", "laughed|laughing so hard", "laptop|computer|phone ...3 seizure", "=portefeuille", "about to explode", "season finale|episode|show", "at the tv", "overdosed|overdose on ...2 netflix|tv|chocolate|coffee|candy|sugar", "blood boil")
	idiomUrgentFR = patterns("fr", "crise cardiaque assuree", "gateau|dessert|bombe ...6 crise cardiaque", "syncope en voyant", "crise de nerfs", "fou rire", "crise cardiaque en voyant", "arret cardiaque en voyant", "coup de sang", "failli ...4 crise cardiaque|infarctus", "canicule|chaleur|clim", "dans une assiette")
	pastUrgentEN = patterns("en", "years|months|weeks|year ago", "last year|summer|winter|spring|month", "=in 19*|20*", "after my|his|her", "since my|his|her", "=survived|survivor",
		"=recovered|recovering", "when he|she|i was", "it has been ...2 years|months", "=first ...2 at", "have not ...3 since", "never ...3 since", "=at =1*|2*|3*|4*|5*|6*|7*|8*|9*", "few months|weeks|years back", "last weekend|week|christmas|easter|spring|summer|autumn|fall|winter", "in the spring|summer|fall|autumn|winter", "=at christmas|easter", "ever since", "=in the 90s|80s|70s", "winters|summers ago", "as a baby|kid|child|toddler", "still think about", "over christmas|easter|the_holidays|the_weekend", "last monday|tuesday|wednesday|thursday|friday|saturday|sunday|night", "year|years|months|weeks on from", "a year after", "=yrs|yr ago|since", "been ...3 since", "=at ...2 months|years ...6 now", "=febrile",
		"=in my 20s|30s|40s|twenties|thirties|teens", "i had ...3 in", "turned out to be", "=went into", "=before they", "for years", "=in january|february|march|april|may|june|july|august|september|october|november|december", "=out from", "=haunts", "=fine now")
	pastUrgentFR = patterns("fr", "=il y a", "=le an|annee dernier|derniere|passe|passee", "=en 19*|20*", "depuis mon|son|sa", "quand il|elle|je etait|etais", "=survivant|survivante", "pour mon|ma premier|premiere", "=souvenir", "date de =19*|=20*", "je ai fait une", "=a fait une|un", "a bien recupere", "ca fait ...3 ans|mois", "a =1*|2*|3*|4*|5*|6*|7*|8*|9* ans", "j avais", "c etait au lycee|college|cegep|secondaire", "=ete|hiver|automne|printemps dernier", "pour mon premier|premiere", "=febrile", "=a ...2 an|ans|mois ...6 depuis")
	nowUrgentEN = words("en", "=right_now", "currently", "=minutes", "=mins", "=min", "tonight")
	nowUrgentFR = words("fr", "maintenant", "actuellement", "=vient", "=minutes", "=min", "=soir")
	glucoseWords = words("en", "sugar", "sugars", "glucose", "=bg", "=bgl", "reading", "meter", "=bs", "=cgm", "libre", "dexcom", "=mg", "=dl", "=mmol", "hypo", "diabetic", "=g_l").merge(words("fr", "glycemie", "sucre", "lecteur", "capteur", "=dextro", "hypo", "hypoglycemie", "diabetique", "=g_l"))
	confusedWords = words("en", "confused", "confusion", "=shaking", "=sweaty", "unconscious", "unresponsive", "=slurring", "=seizure", "=seizing", "=drowsy", "=wake", "=passed", "=faint", "=fainting", "not_making_sense", "=weird", "=respond", "=responding", "=alone").
		merge(words("fr", "confus", "confuse", "tremble", "=reveille", "=repond", "inconscient", "inconsciente", "convuls*", "=seul", "=seule", "=bizarre", "=sueur", "=sueurs"))
	peopleEN = words("en", "=i", "=me", "=my", "=we", "=our", "=he", "=she", "=his", "=her", "=him", "=they", "=their", "=husband", "=wife", "=son", "=daughter", "=baby", "=dad", "=mum", "=mom")
	peopleFR = words("fr", "=je", "=me", "=moi", "=mon", "=ma", "=mes", "=il", "=elle", "=son", "=sa", "=ses", "=mari", "=femme", "=fils", "=fille", "=bebe", "=pere", "=mere")
}
