package safety

// The crisis detector: categories modelled on the Columbia Suicide
// Severity Rating Scale and non-suicidal self-injury. Statements are
// first-person phrases; mentions ("suicidal", "self-harm") need the writer
// to speak of themselves. Context lowers a level without hiding it:
// negation, someone else, the past, awareness, prevention, research,
// grief, a clinician's question. Timing or means next to ideation raise
// it to high.

var crisisSpecs = []ruleSpec{
	// Passive death wish.
	{"en", "passive_death_wish", LevelMedium, "", []string{
		"do not see myself ...3 around|here|alive|living", "would be relieved", "be a relief", "wish ...3 truck|bus|car ...3 hit|clip|take me", "with me in it", "if i just faded|disappeared|vanished", "disappointed ...3 still be here|wake up|waking", "so this can ...2 over", "=want out", "done with this life|living|life", "will to live",
		"no longer ...2 wish|want to ...2 live|living|go", "fantasi* ...2 about ...3 not_waking|dying|death|dead|not_being", "would not mind if ...6 took|die|died|gone|out|hit", "=over with", "cancer|illness|disease ...3 won|wins|take_me|took_me", "go home to jesus|god|heaven", "god|he can ...2 take|call me", "gave out|stopped|stops ...6 relieved|glad|fine", "=relieved if", "better|easier ...5 if i ...2 was|were ...2 gone|around|dead|here|alive", "point ...3 waking|getting up",
		"want|wanna|wish|hope|like to die|=dead", "wish i was|were ...2 =dead|gone|never born", "wish i could ...2 disappear|vanish|stop_existing|sleep_forever|not_wake",
		"hope|pray ...3 not|never wake up", "go to sleep|bed ...4 not|never wake up", "fall asleep ...3 never wake", "better off dead", "better off without me",
		"would be ...2 better|easier ...3 without me", "better|easier ...5 if i was|were not? gone|around|dead|here", "easier ...4 if ...3 gone|died|gave_out", "do|does not ...2 want to be? here|alive|exist|live|around", "not want to wake up",
		"tired|sick|exhausted of living|being|life|existing", "no reason|point ...2 live|living|going|existing|alive", "can|could not go|keep on|going", "can|could not do|take this|it anymore",
		"life ...2 not worth living", "what is the point ...3 living|going|life|being|trying", "ready to die", "wish i had never been born", "want|need it all to end|stop",
		"want to disappear|stop_existing", "=stop existing", "let me die", "take me now|already", "nobody|no_one would miss|notice", "would not mind|care ...5 died|die|wake|hit|gone|dead|ending|end", "=ok|okay with ...3 ending|dying|gone", "takes me ...6 would not mind", "if i ...5 not wake up ...6 =ok|okay|fine", "do not see a future", "=not exist ...3 while|forever",
		"can not wait to die", "=relief if i died", "wish ...3 would just die", "tired of being here", "sick and die",
	}},
	{"fr", "passive_death_wish", LevelMedium, "", []string{
		"partir dans mon sommeil", "serait un soulagement", "je veux plus vivre",
		"plus le gout de vivre|rien", "ne plus jamais me reveiller", "plus etre la", "coeur lache", "vaut plus la peine",
		"envie|goût de mourir|crever|disparaitre|partir", "veux|voudrais|aimerais|aimerai|prefererais mourir|crever|disparaitre|etre_mort|etre_morte", "aimerais|aimerai|voudrais ... plus me_reveiller|exister",
		"marre de vivre|la_vie|exister", "plus envie de vivre|rien|me_reveiller", "ne veux|voudrais plus vivre|exister|me_reveiller", "mieux sans moi", "sans moi ...2 mieux",
		"un fardeau|poids pour", "a quoi bon vivre|continuer", "peux plus vivre|continuer|tenir", "la vie ne vaut pas|plus la peine", "que tout se arrete|termine",
		"plus exister", "ne pas me reveiller", "tanne|tannee|ecoeure|ecoeuree|fatigue|fatiguee ...2 de etre en vie|vivre", "plus envie de etre la", "pas me reveiller", "personne ne ... remarquer|manquer", "ca me derangerait pas", "si je mourais|crevais", "partir pour de bon",
	}},
	// Active ideation.
	{"en", "active_ideation", LevelMedium, "", []string{
		"out of the picture", "stop thinking about ending|killing", "stop fighting ...6 done|out|life", "ways|way out",
		"stop|end ...2 for good", "want|going ...2 unalive", "ending|end things", "end myself",
		"kill|killing =myself|=meself", "end|ending|take|taking my own? life", "end|ending it all|everything", "want|going ...3 end it", "checking|check out ...3 good|tonight|early", "joining ...2 her|him ...3 purpose", "urges to end", "consider ...2 checking out|ending",
		"unalive =myself|=me", "commit|committing|attempt suicide", "=kys", "thoughts|thinking|think ...3 about|of ...2 dying|killing_myself|ending_it|ending_my_life|death",
		"sewerslide", "check out early", "not want to live", "no longer want to live", "want to go to sleep forever",
	}},
	{"en", "active_ideation", LevelMedium, "mention", []string{"suicid*", "thoughts|thinking|think ...3 about|of ...2 suicide", "=sh|selfharm ...2 thoughts"}},
	{"fr", "active_ideation", LevelMedium, "mention", []string{"suicid*", "idees|pensees suicidaires|noires|de_suicide|de_mort", "pense|pensé|penser au suicide"}},
	{"fr", "active_ideation", LevelMedium, "", []string{
		"me enlever la vie", "enlever la vie",
		"me =tuer|=suicider|=flinguer", "me foutre|fiche|fous|fou en l air", "mettre|mets|met fin a mes|ma jours|vie", "en finir",
		"pense|penser a mourir|me_tuer|en_finir", "me supprimer", "passer a l acte",
	}},
	// Method or means.
	{"en", "method_means", LevelMedium, "", []string{
		"how much|many of my", "would be too many", "it would take", "how easy it would be", "stopping all my ...4 meds|medication", "asking for myself", "dangerous together", "=rifle|shotgun|shells", "going to use it",
		"stop|stopping|stopped|skip|skipping|quit|quitting|not_doing|not_taking ...4 dialysis|insulin|warfarin|meds|medication|medicines|treatment|pills ...10 let|until|over|point|purpose|nature|end|die|quit|happen", "stop going to dialysis|chemo|treatment", "pills|meds ...2 lined up", "got the stuff", "looking|looked ...2 up how many", "looking|look ...2 at the bridge|river|tracks|train", "thinking about using it", "could do it", "dip permanently",
		"stockpil*|hoard*|sav*|collect*|stash* ...4 pills|meds|tablets|medication|insulin|painkillers|sleeping",
		"how many ...4 pills|tablets|units|paracetamol|tylenol ...4 kill|die|lethal|fatal|overdose|od", "lethal|fatal dose", "enough ...3 pills|tablets|insulin|meds ...3 to|it|overdose|od|die|kill",
		"jump|jumping|throw ...3 off|from|front ...4 bridge|roof|building|train|cliff|balcony|window|tracks", "bought|buy|got ...2 rope|noose", "train tracks ...5 when|next|deciding", "hang|hanging =myself", "=rope|noose ...4 myself|garage|beam|tree|bought|buy",
		"cut|slit|slash my wrists", "drive|driving ...2 car ...3 into|off", "gun|pistol|rifle ...12 myself|my head", "gun ...8 thinking about it", "overdose on", "take|taking|use|using ...2 all|every|whole ...4 pills|meds|tablets|insulin|sleeping|morphine|medication", "stopping|stop|skip* my insulin ...4 purpose|until", "arreter mon insuline ...3 expres",
		"my insulin could do it", "could do it with", "think about jumping", "meds|pills|tablets saved up", "take them all", "use it on myself", "counting ...3 pills ...8 enough", "would be enough",
	}},
	{"fr", "method_means", LevelMedium, "", []string{
		"quelle dose ...3 de trop|mortelle", "mis de cote assez", "fusil ...8 servir", "me en servir",
		"regarde le fleuve|pont|riviere ...8 pense", "arreter mes|mon medicaments|insuline|dialyse ...8 nature|finir|mourir|expres", "de cote ...6 tout prendre",
		"me pendre", "sauter|jeter ...3 pont|toit|fenetre|train|balcon|immeuble|falaise|metro", "dose mortelle|letale",
		"combien de ...2 comprimes|cachets|pilules|medicaments|unites", "corde", "tailler|ouvrir les veines", "accumul*|gard*|stock*|cach* ...4 medicaments|comprimes|cachets|pilules|insuline",
		"si ca suffirait", "reserve de medicaments ...6 suffir*", "pense a sauter", "arreter mon insuline ...2 expres", "prendre tout|toute|tous|toutes ...2 mes|la|les boite|comprimes|cachets|pilules|medicaments|insuline", "arme|fusil ...5 moi|me",
	}},
	// Plan, intent, timing (high on their own).
	{"en", "plan_intent_timing", LevelHigh, "", []string{
		"as soon as ...6 going to do it", "thought it all through", "settled on a date", "no point dragging it out",
		"i have|got a plan", "made my plan", "my plan is", "today|tonight is the day|night", "this is the night|day",
		"picked|chosen|chose a date", "already decided", "planned it out", "by the end of the week|month", "once ...8 over ...4 i am going",
		"i have decided", "i would end it", "by new year|christmas|birthday ...3 end it", "made up my mind", "set a date", "going through with it", "i will do|be it|gone", "doing it tonight|today|tomorrow", "tonight i am doing it", "once ...5 i am done too",
		"when the house is empty", "=note|letter ...4 on the table|counter|desk|bed", "know how i will|am going to do it", "when ...4 asleep|leaves|gone ...4 i will|ll|am going",
	}},
	{"fr", "plan_intent_timing", LevelHigh, "", []string{
		"me en vais pour de bon", "choisi le jour", "une fois pour toutes",
		"soir je me enleve", "a soir je",
		"ce est decide", "fixe une date", "je ai tout prevu", "ma decision est prise", "ce soir c est", "demain ...2 je serai|serais plus la", "je vais le faire",
		"je le fais ce soir|demain", "derniere nuit", "je serai|serais plus la",
	}},
	// Preparatory acts.
	// Weak on their own (people write letters and give things away):
	// they count only next to another sign of crisis or a time.
	{"en", "preparatory_acts", LevelMedium, "weak", []string{"everything is ready|in_order|sorted", "wrote|written|writing|left|leave ...2 note|notes|letter|letters", "giving|gave|give away ...3 my|all ...3 things|stuff|belongings|clothes|jewellery|jewelry|books"}},
	{"fr", "preparatory_acts", LevelMedium, "weak", []string{"tout est pret|en_ordre", "donne|donner ...3 mes|toutes|tous ...2 affaires|bijoux|vetements|livres|chat|chien", "ecrit|ecrire ...2 mes|une|des lettres"}},
	{"en", "preparatory_acts", LevelMedium, "", []string{
		"giving my things to", "tidying up before leaving", "when i am not here anymore", "affairs in order", "cancelled|canceled all my subscriptions", "going without me", "guardian just in case",
		"tidying|getting ...2 things ...2 in order|up ...3 before i go", "if i am not around", "left ...4 passwords|keys|instructions", "arranged|planned|paid ...3 my funeral", "saving them|my_meds|my_pills ...3 instead|just_in_case", "notes are written", "pills are counted", "letters on the table",
		"goodbye|suicide|farewell|final|last note|letter|letters",
		"found|finding|rehome* ...3 home for ...2 my|the cat|dog|pets", "=gave my cat|dog|pets", "updated|made|wrote|finished my will ...6 so|before|won|not|need", "will not need ...2 them|it ...2 anymore",
		"so nobody|no_one has to ...3 after", "paid_off|settled ...3 debts ...3 so", "cleaned|tidied ...4 so nobody|no_one", "said my goodbyes",
		"deleted|deleting ...2 my accounts|socials|profiles|profile", "insurance ...4 suicide|pay out", "giving|gave ...4 away ...8 need them|anymore|before|won", "found ...4 new home",
		"cancelled|canceled ...4 appointments", "moved my savings", "left instructions for", "finished the letter|note", "leave it on the counter|table",
		"gave all my", "life insurance is in order", "so nobody|no_one has to deal", "=need them ...2 anymore", "think i will need them",
	}},
	{"fr", "preparatory_acts", LevelMedium, "", []string{
		"tout est regle", "vide mon casier", "pense pas en avoir besoin",
		"regle mes affaires", "vide mon appart*", "prete|pret a partir", "testament est signe",
		"lettre|lettres|mot d adieu",
		"tout donne|range", "trouve ...3 famille|maison ...2 pour mon|ma chat|chien|chatte", "fait|ecrit mon testament ...6 avant|pour", "tout est pret|en_ordre",
		"n aurai|aurais plus besoin", "dit au revoir a", "mets|mis de cote ...2 mes medicaments|cachets|pilules", "testament est a jour", "lettre est sur la table",
	}},
	// "Doing it tonight / when / after" is how people talk about routines
	// too ("I do it when I put my socks on"): only beside another sign.
	{"en", "plan_intent_timing", LevelHigh, "weak", []string{"doing it when|after|once|tonight"}},
	// Farewell (high).
	{"en", "farewell", LevelHigh, "", []string{
		"please do not be sad", "sorry i could not stay", "this is the end for me", "not because of him|her|you", "do not come looking for me", "if she|he finds this",
		"=done sorry", "checking out ...3 love|bye|sorry", "peace out forever", "was nice knowing", "take care of my dog|cat|kids ...3 bye", "do not look for me", "love yall|you_all ...4 do not be sad", "sorry it was not enough",
		"this is|will be? my last post|message|time", "=goodbye|bye ...2 everyone|all|forever|world|guys|friends", "this is goodbye", "by the time you read this",
		"will not be here|around ...2 tomorrow|anymore|much longer", "will be gone", "signing off ...2 good|forever", "not coming back", "rest forever", "final post|message", "last message|post from me", "went through with it", "won hear from me", "will not hear from me", "ending the journey", "take care of ...3 for me", "tell ...3 i love|loved them|her|him", "thank|thanks ...3 everything ...6 goodbye|bye|sorry|last",
		"at peace with my decision", "see you on the other side", "my last ...2 night|day|message|words", "i am sorry for what i am about to do", "forgive me", "=farewell",
		"will not be around", "i love you all ...4 sorry|goodbye|bye", "saying|say goodbye to ...3 everyone|you|people|here|all|world|kindred", "wanted to say goodbye", "just saying goodbye", "thank|thanks ...3 everything ...8 goodbye", "take care of each other", "will not be logging|posting|coming ...2 again|back", "could not keep fighting",
	}},
	{"fr", "farewell", LevelHigh, "", []string{
		"si elle|il lit ca", "pas de ta faute",
		"derniere fois que vous me lisez", "ce est fini pour moi", "dites a ma mere|fille|femme|famille|mere que je", "dire au revoir", "tout lacher ...2 soir",
		"=adieu", "mon dernier message|post", "quand vous lirez ce", "merci pour tout ...6 adieu|au revoir|desole|desolee|pardon",
		"je serai plus la|serai plus la", "au revoir ...2 tout_le_monde|a_tous|pour_toujours", "dernier post|message", "je m en vais ...2 soir|nuit", "je pars ...2 soir|nuit|pour de bon", "bye pour de vrai", "pardonnez|pardonne moi", "je vous aime ...5 adieu|au revoir|pardon", "ma derniere nuit",
	}},
	// Self-harm.
	{"en", "self_harm", LevelMedium, "mention", []string{"self harm|harming|injury|injure", "selfharm", "overdos*"}},
	{"fr", "self_harm", LevelMedium, "mention", []string{"automutil*", "scarification", "overdos*"}},
	{"en", "self_harm", LevelMedium, "", []string{
		"scratch ...3 arms|skin ...3 till|until", "punched ...3 wall ...4 till|until", "picking at my wounds|scabs", "wounds ...4 on purpose",
		"hit|banging|banged|bang my head against", "scratch|scratching my arms|skin ...2 until", "bandages on my thighs|arms|wrists|legs", "started cutting", "doing it to myself again",
		"cut|cutting|burn|burning|scratch|scratching|hit|hitting|punch|punching|hurt|hurting|harm|harming|bite|biting =myself",
		"relapsed|relapse ...4 cut|cutting|sh|harm", "new|fresh cuts", "broke my streak ...3 cut", "on purpose ...4 punish|hurt|pain|wrecked|bleed|bruise|marks", "punish myself", "punching|hitting walls", "until ...3 bleed|bleeds|bleeding", "=lighter|cigarette ...4 wrist|arm|skin|burn", "burned|burnt my wrist|arm|skin", "bite|biting my arm|hand|lip ...4 hard|marks", "cut|cutting again", "started|start|back to cutting", "urge|urges to cut|hurt|harm", "=sh again",
		"razor|blade|blades ...5 arm|arms|wrist|wrists|thigh|thighs|leg|legs|skin", "fresh ...2 cuts|scars|wounds", "clean for ...3 days|weeks|months ...6 cut|relapse|again",
		"took|take it out on my body|arms", "=sh",
	}},
	{"fr", "self_harm", LevelMedium, "", []string{
		"me mutiler", "me faire mal expres",
		"me scarifier|scarifie|scarifiee|scarifiais", "me suis ...2 coupe|coupee|brule|brulee|scarifie|scarifiee|frappe|frappee|griffe|recoupe|recoupee", "me gratte jusqu au sang", "recoupe|recoupee", "me scarif*", "me couper|coupe|coupais|brule|bruler|frapper|frappe|griffer|griffe", "me fais|fait du mal",
		"rechute ...4 coupe|scarif|lame", "lame|rasoir ...5 bras|poignet|poignets|cuisse|cuisses",
	}},
	// Attempt or overdose in progress (high).
	{"en", "attempt_in_progress", LevelHigh, "", []string{
		"engine running", "took a handful ...4 purpose", "took everything ...4 cabinet|medicine", "swallowed a bunch", "washed down ...3 pills|painkillers|tablets",
		"took all of them", "already took my pills|meds|them", "sitting|standing ...2 on the bridge|ledge|roof ...4 now", "took way too many ...4 on purpose", "overdosed ...3 ago", "at the river|bridge now", "took the rest of",
		"took|taken|swallowed|downed|injected|drank ...2 all|every|whole|entire|bottle|box|handful|lot|most ...5 pills|tablets|meds|medication|insulin|painkillers|paracetamol|tylenol|sleeping|bottle|box|pack",
		"i overdosed|overdosing", "i am overdosing", "swallowed everything", "took|swallowed ...3 everything|all_of_it|all_of_my", "using|use ...2 pills|meds|tablets ...3 saved|stockpiled|kept", "=overdosing right now", "swallowed|took|taken ...3 all of my|it", "i took all", "je ai tout pris", "je vais sauter", "sur le pont ...3 sauter", "already took them", "took the pills", "i am on the bridge", "already started",
		"took ...4 too many ...4 to end|die", "took ...6 at once to die", "=vide ma pharmacie", "je suis sur le pont", "tout pris", "pris toutes mes pilules|cachets", "just took ...4 pills|tablets|meds|insulin", "pills ...3 kicking|working", "already ...2 taken|took|done it", "i did it",
		"too late ...4 now|already", "feel|feeling ...3 drowsy|sleepy|weird ...4 pills", "am bleeding ...3 cut|wrist|deep", "cut too deep",
		"took|taken ...4 on purpose",
	}},
	{"fr", "attempt_in_progress", LevelHigh, "", []string{
		"vient de avaler tous|toutes", "sur le pont en ce moment",
		"je ai ...2 pris|avale|vide ...4 boite|comprimes|cachets|pilules|medicaments|insuline|plaquette|pharmacie", "fait une overdose|od",
		"je me sens partir", "c est trop tard", "je l ai fait", "en train de ...2 mourir|partir", "coupe trop profond",
	}},
}

// Context that makes a mention a low finding: awareness, prevention,
// research, grief, a clinician's question, an accident.
var (
	lowerEN []pattern
	lowerFR []pattern
	// A clinician's screening question, reported by the member.
	asked []pattern
	// Accidents and everyday meanings of the same words.
	accident []pattern
	timingEN *wordSet
	timingFR *wordSet
	idiomEN  []pattern
	idiomFR  []pattern
)

func crisis(v *view) []Finding {
	return crisisModel().judge(v, crisisRules(v))
}

// crisisRules is what the rules alone find.
func crisisRules(v *view) []Finding {
	found := crisisRulesFound(v)
	for _, f := range v.readSignals(crisisSignals) {
		found = mergeFinding(found, f)
	}
	return found
}

func crisisRulesFound(v *view) []Finding {
	hits := v.hitsOf(setCrisis)
	if len(hits) == 0 {
		return nil
	}
	// Timing or means anywhere near ideation make it imminent.
	var ideation, means, timing bool
	strong := false // a sign of crisis that is not a weak one
	for _, h := range hits {
		if h.r.weak {
			continue
		}
		strong = true
		switch h.r.category {
		case "passive_death_wish", "active_ideation", "self_harm", "preparatory_acts":
			ideation = true
		case "method_means":
			means = true
		}
	}
	if _, ok := v.any(timingEN, "en", 0, len(v.toks)); ok {
		timing = true
	}
	if _, ok := v.any(timingFR, "fr", 0, len(v.toks)); ok {
		timing = true
	}
	found := findings{detector: DetectorCrisis}
	recovered := v.recovered()
	for _, h := range hits {
		lang := h.r.lang
		idioms, lower := idiomEN, lowerEN
		if lang == "fr" {
			idioms, lower = idiomFR, lowerFR
		}
		level, ctx := h.level, ""
		switch {
		case v.overlapsPattern(h, idioms) && (h.level < LevelHigh || h.r.category == "farewell"):
			continue
		case v.negated(h):
			level, ctx = LevelLow, "negated"
		case v.aboutSomeoneElse(h, h.r.mention):
			// Someone else's overdose now is the urgent detector's.
			level, ctx = LevelLow, "someone else"
		case (h.r.category == "attempt_in_progress" || h.r.category == "method_means") && v.sentenceHas(h, routine):
			level, ctx = LevelLow, "taking medicines as usual"
		case v.inThePast(h):
			level, ctx = LevelLow, "in the past"
		case recovered && !v.nowIn(h) && h.r.category != "attempt_in_progress":
			level, ctx = LevelLow, "a story of recovery"
		case v.sentenceHas(h, lower) && (h.r.mention || h.level < LevelHigh) && !v.firstPersonPresent(h):
			level, ctx = LevelLow, "awareness, grief, research or a question"
		case v.sentenceHas(h, asked) && h.level < LevelHigh && !v.textHas(lang, lied):
			level, ctx = LevelLow, "a clinician's question"
		case v.sentenceHas(h, accident) || ((h.r.category == "farewell" || h.r.category == "preparatory_acts") && v.windowHas(h, accident)):
			level, ctx = LevelLow, "an accident or an everyday meaning"
		}
		if level >= LevelMedium && timing && (means || ideation) && h.r.category != "self_harm" {
			if (means && (ideation || h.r.category == "method_means")) || h.r.category == "preparatory_acts" || h.r.category == "active_ideation" || h.r.category == "passive_death_wish" {
				level = LevelHigh
				if ctx == "" {
					ctx = "with a time"
				}
			}
		}
		if level >= LevelMedium && means && ideation && h.r.category == "method_means" {
			level = LevelHigh
		}
		if h.r.weak && !strong {
			level, ctx = LevelLow, "alone, an everyday act"
		}
		found.add(v, h, level, ctx)
	}
	return found.out
}

// overlapsPattern: an idiom covers the matched words.
func (v *view) overlapsPattern(h hit, ps []pattern) bool {
	for _, p := range ps {
		from := h.sentence[0]
		for from < h.sentence[1] {
			s, e, ok := v.find(p, h.r.lang, from, h.sentence[1])
			if !ok {
				break
			}
			if s < h.to && h.from < e {
				return true
			}
			from = s + 1
		}
	}
	return false
}

// firstPersonPresent: the writer speaks of themselves now ("I want", "je
// veux"), which awareness words next to it do not undo.
func (v *view) firstPersonPresent(h hit) bool {
	first := firstEN
	if h.r.lang == "fr" {
		first = firstFR
	}
	_, ok := v.any(first, h.r.lang, h.sentence[0], h.sentence[1])
	return ok && !h.r.mention
}

var lied []pattern

// windowHas: one of the patterns stands in the hit's sentence or the one
// before or after it.
func (v *view) windowHas(h hit, ps []pattern) bool {
	sents := v.sentences()
	w := h
	lo, hi := max(h.sentenceID-1, 0), min(h.sentenceID+1, len(sents)-1)
	w.sentence = [2]int{sents[lo][0], sents[hi][1]}
	return v.sentenceHas(w, ps)
}

// crisisSets compiles this file's pattern and word sets (see compileSets).
func crisisSets() {
	lowerEN = patterns("en", "awareness", "prevention", "preventing", "hotline|helpline|lifeline|crisis_line", "=training|course|webinar|workshop|seminar|certification",
		"=walk|fundraiser|fundraising|charity|donate", "statistic*|rates|rate of|study|studies|research|researcher|article|paper|documentary|podcast|book|novel|film|movie|show|series|lecture",
		"risk factors", "warning signs", "how to help|support|talk to", "screen*", "ask ...2 patients|clients", "=lost|lose|losing ...4 to suicide", "for a child|kid|baby|toddler", "my toddler|baby", "meta analysis|analysis|review|paper|sources|journal", "black box warning", "=podcast", "talking|talk openly", "can save lives", "monitoring for", "support group|survivors", "precaution", "safety plan", "out of the house", "locked up|away", "lock box|lockbox", "died by|of suicide", "took ...2 =own life",
		"=funeral|memorial|anniversary|passed_away|grief|grieving|mourning", "committed suicide", "=you ...3 ?", "have you ever|had", "=by accident|mistake", "=accidentally",
		"is it safe|dangerous|ok|okay to", "side effect*", "=question", "=asking for", "studying|student|thesis|dissertation|survey|mods", "while|when cooking|shaving|chopping|gardening", "=nurse|doctor|gp|therapist|psychiatrist ...5 asked",
		"=my|our =son|daughter|friend|brother|sister|mom|mum|dad|father|mother|uncle|aunt|cousin|husband|wife|partner ...8 suicide|attempt|overdose|died|killed")
	lowerFR = patterns("fr", "sensibilisation", "prevention", "prevenir", "ligne_de_ecoute|ligne_de_crise|3114|988", "formation|atelier|conference|colloque",
		"marche|collecte|don", "statistique*|taux|etude|etudes|recherche|article|documentaire|podcast|livre|roman|film|serie|cours", "facteurs de risque", "signes ...2 avant_coureurs|de_alerte",
		"comment aider|parler", "depist*", "=perdu ...4 suicide", "memoire|travail de psycho|sources|references|pistes", "maitrise|doctorat|questionnaire|sondage", "plan de securite", "=augmenter ...3 idees", "depliant|notice", "la procedure", "=protocole", "a chaque rendez vous", "qui garde mes medicaments", "rapporter|rapporte ...3 medicaments|pharmacie", "pour pas en garder", "groupe de soutien", "s est suicide|suicidee|suicides", "s est enleve|enlevee la vie", "=funerailles|deuil|enterrement|anniversaire|decede|decedee",
		"=tu ...3 ?", "=vous ...3 ?", "as_tu|avez_vous deja", "par accident|erreur|megarde", "effet* secondaire*", "=infirmiere|medecin|psy ...5 demande",
		"=question", "memoire|these|enquete|sondage|etudiant|etudiante", "en cuisinant|rasant|bricolant|jardinant", "=couteau")
	asked = append(patterns("en", "asks|asked ...6 question", "asked ...2 if|whether", "ask ...2 if|whether ...2 i", "=screening|screen ...3 for", "my answer was", "=phq*", "question =9", "not at all"),
		patterns("fr", "demande ...3 si", "pose ...3 la question", "depist*")...)
	accident = append(patterns("en", "=by accident|mistake", "=accidentally", "while|when cooking|shaving|chopping|gardening|cutting", "moving over|on to", "new group", "see you in|over|all|soon",
		"now that i am ...2 stable|better|remission", "for a while", "vacation|holiday|cruise|trip|retiring|retirement|retires|brands", "maternity leave", "better_place|better_now|in_remission|doing_better",
		"glad|grateful ...4 still here|stayed|alive", "=psa|reminder|fyi", "words like", "in the novel|film|movie|book|show|series|story|song", "the character|heroine|hero|protagonist", "=song|lyrics", "on this topic", "for now",
		"=leaflet|label|insert|pamphlet ...4 mentions|says|lists", "answered no", "hurricane|storm|shortage|travel|trip|strike|winter|recall|flight|travelling|traveling|abroad", "doctor|gp|pharmacist approved", "before|for the|my surgery|bypass|operation|procedure|transplant", "walk|walking|diet|meal|meals|workout|exercise|budget|schedule|steps|carbs|10k|5k|race|marathon|concert|wedding|game|party", "dinner_out|date_night|babysitting", "before we move|moving|sell", "moving to|away", "new job", "handed in my notice", "=retiring|retirement|downsize|downsizing", "for work", "=demenagement|demenage", "on a achete", "=expired", "bridge club|game|night|tournament|player|players", "climbing_gym|climbing_wall|climbing_shoes|harness|boat|sailboat|halyard|kayak|sailing|camping|skipping|jump_rope|knot|knots|toy|tug|leash|laundry|swing",
		"wake|waking up with|to|early|at|feeling|sore|tired", "see you next|tomorrow|soon|later|all", "see everyone|everybody|yall|y_all", "=replacement", "talk soon", "have a good|great|nice", "=weekends",
		"in half", "chopping|slicing|shaving|onions|paper"),
		patterns("fr", "par accident|erreur|megarde", "en cuisinant|rasant|bricolant|jardinant|coupant", "on se revoit", "a bientot", "vacances|voyage|retraite|conge|croisiere", "sortie de l hopital", "=equipe|infirmieres|collegues", "=doigt|doigts|legumes|souper", "=grossesse|maternite|bebe", "on se en va", "auto|char est plein|pleine", "en_gaspesie|au_chalet|en_voyage|en_vacances", "avant ...2 operation|chirurgie|greffe",
			"derriere moi", "content|contente|heureux|heureuse ...3 encore la", "a la semaine prochaine", "a demain", "a plus", "a tantot", "bonne soiree|journee|semaine|fin", "sur le sujet", "=promis", "=chanson|paroles", "va_mieux|vais_mieux", "=rappel", "des mots comme", "le|dans le film|roman|livre|personnage|serie|chanson")...)
	timingEN = words("en", "tonight", "=tomorrow", "today", "=weekend", "=friday", "=saturday", "=sunday", "=monday", "=tuesday", "=wednesday", "=thursday", "=midnight", "=morning", "=afternoon", "=soon", "=later", "=date")
	timingFR = words("fr", "=soir", "=demain", "=aujourdhui", "=weekend", "=vendredi", "=samedi", "=dimanche", "=lundi", "=mardi", "=mercredi", "=jeudi", "=minuit", "=matin", "=nuit", "bientot", "=date")
	idiomEN = patterns("en", "dying to", "die|died of|from embarrassment|laughing|boredom|shame|cuteness", "to die for", "kill for", "=killing me", "kill me now", "could just die",
		"dead tired", "=killing it", "killed it", "die hard", "if looks could kill", "dead on my feet", "my|the|old phone|battery|car|laptop|plant*|one|pump|sensor|transmitter|meter|cgm|dexcom|libre|pen is? died|dead|dying",
		"cut ...2 carbs|sugar|calories|hair|back|down|out|fringe|bangs|costs|ties|losses", "paper cut", "kill myself laughing", "=unalived me", "laughing", "rather die than", "wants|want me dead", "overdose of ...2 meetings|zoom|work|sugar|coffee|tv|news|chocolate", "last|final round|day|session|dose|cycle|treatment of|radiation|chemo", "last day of", "kill|murder my|him|her|you|them|the|that|this|his", "one more ...4 going to kill myself", "one more ...6 throw myself", "insurance form", "made me want to die", "goodbye|bye my old", "final exam|exams|round|lap|score|version|draft", "dying ...2 hair|shirt|clothes|eggs|yarn|fabric|beard", "sleep forever on|this|till|until|after",
		"goodbye|bye ...3 chemo|radiation|mask|treatment|hospital|cast|crutches|needles|pain|catheter|drain|stitches|port|wheelchair|job|diet|insulin|injections|dialysis|steroids|prednisone|sugar|smoking", "would kill for", "goodbye|bye ...2 gluten|sugar|carbs|bread|pizza|coffee|smoking|cigarettes|alcohol|job|pump")
	idiomFR = patterns("fr", "prefere|prefererais mourir que|plutot", "mieux mourir que", "plutot mourir que", "=va me tuer", "meurs|mourir|mort de faim|soif|rire|chaud|froid|fatigue|envie|honte|ennui|peur", "ca me tue", "tuer le temps", "mort de rire", "crever de chaud|faim|soif",
		"couper ...2 sucre|cheveux|pain|glucides|ponts", "chaleur|douleur|travail|job|boulot|fatigue|attente|patience|trafic me tue|tuent", "en finir avec ce|cette|ces|mon|ma|mes|sa|son|le|les", "tuer mon|ma|le|la|les|ce|cette|lui", "=tellement", "vont me tuer", "va me tuer", "a crever", "marre a crever", "corde a linge", "si j entends encore", "si je dois encore", "ronfle", "=hahaha|haha", "me tue a|au", "adieu|au_revoir ...2 vieille|vieux|ancienne|ancien|pompe|chimio|platre|insuline|cigarette|lecteur|nausees|nausee|douleurs|piqures|aiguilles|hopital|cigarettes|kilos|chaleur", "au revoir ...3 chimio|radiotherapie|traitement|hopital|platre|douleur|insuline|dialyse|cigarette", "=mortel|mortelle la|le|ce|cette", "=c_etait_mortel", "=mdr|ptdr|lol")
	lied = patterns("en", "was a lie", "i lied", "=lying", "not true")
}
