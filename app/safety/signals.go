package safety

import "strings"

// Signals: the second layer of the crisis detector. The phrase rules
// (crisis.go) know how people commonly say things; signals know what the
// things are. Each signal is a small class of words and short phrases —
// a word of death, of wanting, of hopelessness, a means, a time, an act
// of taking, of preparing, of saying goodbye, of self-injury — and a
// combination of classes close together (the sentence and its
// neighbours) makes a finding: "wish" + "not wake up", "pills" +
// "counted out" + "after my roommate leaves", "took" + "all of it".
// Combinations are read with the same context as the phrases (negation,
// someone else, the past, awareness, idioms), and a finding names the
// combination and every word that made it, so a moderator sees why.

// Signal classes.
const (
	sigDeath    = iota // dying, not existing, not waking up, ending it
	sigWant            // wanting, wishing, hoping, thinking about, relief
	sigHopeless        // no point, burden, nobody would notice
	sigMeans           // pills, a rope, a bridge, a gun
	sigEye             // saving up, counting, looking up, eyeing
	sigTime            // tonight, after payday, when she leaves
	sigDecided         // the plan is set, I'm going to do it
	sigTook            // took, swallowed, downed
	sigNow             // it's happening, the engine is on, doing it now
	sigAll             // all of it, the whole bottle, everything
	sigFarewell        // goodbye, last post, look after each other
	sigPrep            // gave away, passwords, life insurance, letters
	sigFinal           // for good, won't need, while I'm still around
	sigHarm            // cutting myself, hiding marks, days clean
	sigHarmWeak        // cuts, scratches, bruises, wrists
	sigPurpose         // on purpose, meant it
	sigCount
)

var signalNames = [sigCount]string{"death", "want", "hopeless", "means", "eye", "time", "decided", "took", "now", "all", "farewell", "prep", "final", "harm", "harm_weak", "purpose"}

var signalSpecs = []ruleSpec{
	{"en", "death", 0, "", []string{
		"stop being a cost", "make it stop myself", "end things", "take matters into my own hands", "nice to just stop", "ready whenever", "could not get better", "time to stop fighting",

		"wish i was|were not here", "done being alive", "heart just stops", "takes me before", "icd turned off",

		"hurry up about it", "done my time", "i just want to disappear", "want to disappear", "keep going ...6 no", "take me ...3 ready", "died in their sleep",

		"let this be the last", "going to be my last", "not be a problem|burden|weight ...3 anymore|longer", "not going to be here for", "take me instead", "lucky her|him", "takes me with it", "not come round", "took myself out", "staying|stay alive", "it will be over",

		"not being here", "skip the rest", "the exit", "drive into ...2 river|tree|traffic|wall", "surgery ...3 not go well",

		"finish|finishing my life", "waiting to die", "logging off permanently", "already gone", "not fighting ...3 anymore", "welcome it",

		"not be here for a while", "sleep for a very long time", "not have to come back", "without me", "not fight it", "heart ...2 stopped|stop|stops|quit", "hoping it is the last", "looking for the exit", "end their life", "out of the equation", "painless way", "not driving|going|coming back|home", "go to sleep for good", "solve a lot",

		"bus|truck|car|train ...2 hit|hits|took me", "hit by a bus|truck|car", "i go first", "never existed", "never been born", "not here anymore", "point of me", "not be here", "over for good", "=w_o_me", "the other side", "stop waking up", "be with him|her|mom|dad|them",

		"die", "dying", "=dead", "death", "not|never ...2 wake|waking up", "stop|stopped existing", "not exist|existing|be_here|be_around",
		"be|am|was|were gone", "i|me|just|could ...1 disappear|vanish", "i|me|just ...1 fade|faded|fading out|away", "end it", "end it all|everything", "ending it",
		"kill|killing myself|yourself|meself", "=kms", "=kys", "=ctb", "unalive", "sewerslide", "end|ending|take|taking my|your own? life",
		"go to sleep ...3 forever|done|never", "sleep forever", "an exit", "quits|stops|stop ...3 on its own", "takes|take me ...2 quicker|already|now|away|home", "let it all go",
		"not be ...2 here|around|alive", "with her|him|them soon|again", "final exit", "not be around", "be here anymore", "see another|next birthday|christmas|year",
	}},
	{"en", "death", 0, "mention", []string{"suicid*"}},
	{"fr", "death", 0, "mention", []string{"suicid*", "automutil*"}},
	{"fr", "death", 0, "", []string{
		"redescendrai pas", "ce serait fini", "c est la fin pour moi", "plus simple si c etait moi", "hate que ca finisse", "me enleve de la", "plus de raison de rester", "comment partir", "que ca marche", "regler ca moi meme", "coup de volant", "si la maladie me emportait", "pas mortelle",

		"mon dernier jour", "c est fini",

		"me chercher", "vienne me chercher", "ne me reveillais pas", "plus envie d etre la", "crisser mon camp", "partir pour vrai", "mettre fin a tout", "la fin du mien", "fin du monde ...3 mien", "le foie lache", "prends moi", "pas la fin du monde",

		"j envie les gens qui partent", "jalouse|jaloux de lui|elle", "arrete tout", "en paix lui|elle",

		"=exister", "se tuer", "me tue",

		"reviendrai pas|plus", "finir ma vie", "en paix pour toujours",

		"dispar*", "coeur ...2 lacher|lache", "cherche la sortie", "tout lacher pour de bon", "la fin pour moi", "plus de nouvelles de moi",

		"venir me chercher", "jamais existe", "plus la", "ca se arrete", "se arrete ...4 sommeil", "partir pour de vrai", "=ts", "tentative", "me tirer ...2 balle", "autre bord", "plus la pour", "idee de partir", "me endormir pour", "en finir pour de bon",

		"mourir", "=mort", "=morte", "crever", "disparaitre", "partir pour_de_bon|pour_toujours|dans_mon_sommeil", "plus etre la", "serai|serais plus la", "plus ...2 reveiller", "en finir", "me tuer",
		"dormir pour toujours", "rejoindre mon|ma", "enlever la vie", "tout arreter", "plus exister", "=mourrais", "ne plus etre", "plus etre en vie",
	}},
	{"en", "want", 0, "", []string{
		"jealous", "leaning toward", "get jealous",

		"=envy|envying", "part of me was glad", "felt relief", "i was glad",

		"would anyone blame me", "hopes|hoping ...4 not go well",

		"it is better", "waiting to|for", "would welcome",

		"would not even be mad", "would be nice|fine|okay", "not even be mad", "kinda want",

		"want", "=wanna", "wish", "hope", "hoping", "pray", "praying", "would|id rather", "ready to|for", "can not wait", "relieved", "relief", "=ok|okay|fine with",
		"would not mind", "easier", "simpler", "better off", "deserve* ...2 better|someone", "tempt*", "agree with", "good idea", "think|thinking|thought about", "keep thinking",
		"consider*", "fantasi*", "daydream*", "appeal*", "long for", "=urge", "=urges", "started wishing",
	}},
	{"fr", "want", 0, "", []string{
		"soulagee|soulage", "de la chance", "ca me derangerait pas", "ne me derangerait pas", "negocie avec le ciel",

		"c est mieux", "ce serait mieux", "attends de",

		"me soulagerait", "ca me soulagerait", "me dis que", "je me dis", "serait rapide", "plus simple",

		"veux", "voudrais", "envie", "souhait*", "espere", "prie", "aimerais", "prefererais", "soulag*", "mieux", "plus simple", "pense|penser|songe", "tente", "tentee",
	}},
	{"en", "hopeless", 0, "", []string{
		"see a way forward", "tired of waking up", "would cope", "everyone would ...2 cope|fine",

		"point of me", "=whats_the_point", "no use", "not useful", "useless here", "nobody needs me",

		"what is|s the point", "=whats even? the point", "no point", "why bother", "no reason", "pointless", "hopeless", "burden", "nobody|no_one would ...2 notice|miss|care",
		"nobody|no_one depends|cares|needs", "can not go_on|keep_going|do_this", "tired of ...3 all|it|this|everything|being|life|living", "=done with", "give up", "given up",
		"nothing left", "no future", "not see ...2 future", "can not anymore", "can not take", "worthless", "sticking around",
	}},
	{"fr", "hopeless", 0, "", []string{
		"chu tellement nulle|nul", "tannee de moi meme", "fatiguee de tenir",

		"raison de me lever", "vois plus l interet", "tannee|tanne d exister",

		"plus utile", "utile a rien", "assez vecu", "plus peur", "personne verrait", "seraient mieux",

		"a quoi bon", "sert a rien", "fardeau", "plus capable", "pu capable", "en peux plus|pu", "=marre", "tanne", "tannee", "personne ...3 remarquer|manquer|verrait",
		"plus de sens", "plus la force", "=bon_a_rien",
	}},
	{"en", "means", 0, "", []string{
		"=bolus|bolused",

		"carbon monoxide", "lions gate", "=rifle", "=vodka",

		"methadone", "suboxone", "=seroquel", "=parkade", "highest floor",

		"=reservoir", "=charcoal", "=wastage", "which drugs", "=tape",

		"=belt", "=wine", "=vodka", "=booze", "=whisky",

		"=platform", "=edge", "=combo", "sertraline", "zopiclone", "pentobarbital", "=balcony", "=pens", "insulin pens", "=ammo", "=bullets", "=bullet", "=cabinet",

		"pill", "pills", "tablet", "tablets", "=meds", "medication", "bottle", "bottles", "=oxy", "oxycodone", "morphine", "insulin", "=seroquel", "clonazepam", "=xanax", "=tramadol",
		"antidepressant*", "painkiller*", "sleeping", "=gun", "=guns", "rifle", "pistol", "=rope", "noose", "bridge", "railing", "cliff", "=roof", "car park", "parking garage", "ledge",
		"tracks", "=train", "=blade", "=blades", "razor", "=garage", "=exhaust", "ways to go", "what would work", "dangerous together", "=height", "tallest", "highest", "=overdose",
		"paracetamol", "tylenol", "acetaminophen", "=opioids", "=fentanyl", "=lethal",
	}},
	{"fr", "means", 0, "", []string{
		"=ceinture", "=toits", "=pilier", "anticoagulants",

		"carabines", "opiaces", "armoire a pharmacie", "=pont", "digue", "maree", "lexomil", "plaquettes",

		"methadone", "=seances",

		"=charbon", "ruban adhesif", "=stylo", "lysanxia",

		"carabine", "=vin", "quai",

		"=armes", "=balle", "voies ferrees", "=voies", "=rails", "=balcons", "=balcon", "zopiclone", "tramadol", "pentobarbital", "antidouleurs", "=stylos", "=fenetre", "=quai", "=seances",

		"pilule*", "cachet*", "comprime*", "medicament*", "boite", "=fusil", "=arme", "corde", "=pont", "falaise", "=toit", "=train", "metro", "lame", "lames", "rasoir",
		"insuline", "morphine", "somnifere*", "=doliprane", "letale", "mortelle", "fleuve", "riviere", "=hauteur", "=garage",
	}},
	{"en", "eye", 0, "", []string{
		"figured out the dose", "saved up all my", "practised|practiced ...3 leg over", "one leg over the rail",

		"override the bolus", "keeping it|them", "we both know",

		"nobody counts", "think about it every time", "how long ...3 carbon monoxide", "how high ...3 bridge|is", "keeping them close", "toxic in big doses", "so i would have enough", "enough ...2 friday",

		"look at the cabinet", "timing the trains", "looking down", "drove past the spot", "just to look", "bought the thing", "keep looking at it",

		"know exactly", "would it hurt", "would it take to", "would take to", "enough to ...3 not|die|sleep|end", "how long would it take", "planning how", "drove|went to the bridge|tracks|roof|river", "figured out how", "looked it up", "stop|stopped|stopping|skip|skipping|quit ...2 dialysis|insulin",

		"have|got the rope|gun|pills|stuff", "hiding my insulin|pills|meds|pens", "know the combo|code", "have the key", "just to see", "stand* ...3 edge",

		"stockpil*", "saving them|it|up|my", "=saved up", "been saving", "putting ...2 aside", "put ...2 aside", "collect*", "counted", "counting", "hoard*",
		"looked|look|looking|googled|googling|read|reading|researching ...4 height|ways|how_many|lethal|tallest|dangerous|painless|bridge|overdose",
		"timing it", "eyeing", "keep looking at", "think about it|them", "thinking about it|them|using", "thought about it", "=stash", "know exactly what", "where he|she keeps",
	}},
	{"fr", "eye", 0, "", []string{
		"assez de morphine", "je me suis renseignee|renseigne ...3 doses", "garde toutes mes boites", "essaye de voir si la ceinture", "reste au bord",

		"arreter la dialyse", "garde toutes|tous", "j ai garde",

		"regarde en bas", "regarde combien", "j y pense a chaque fois", "dans le garage ferme", "trouve le pont",

		"quels medicaments", "sont mortels", "regarde en bas",

		"comment faire", "trouve la dose", "ramasse ...3 pilules|cachets|medicaments",

		"ai la cle", "regarde en bas", "sais ou est", "les ai comptes", "garde le reste", "je les garde", "calculer", "je regarde",

		"mis|mets|met de cote", "je garde", "accumul*", "stock*", "compte mes", "compter mes", "cherche ...3 combien|dose|hauteur", "regarde ...3 pont|fleuve|riviere", "y pense", "calcul*",
	}},
	{"en", "time", 0, "", []string{
		"after everyone is asleep", "on my birthday", "=3 weeks", "after my son|daughter", "the window",

		"the right moment", "=tmrw", "=tmr", "after my shift", "=sat", "=bday", "before anyone wakes", "in two days", "this time",

		"tonight", "=tomorrow", "this weekend", "=weekend", "=friday", "=saturday", "=sunday", "=monday", "=tuesday", "=wednesday", "=thursday", "=payday",
		"end of the month|week", "next week", "after ...4 leaves|leave|wedding|birthday|christmas|school|work|fundraiser|asleep|sleeps", "=when ...4 leaves|asleep|back_at_work",
		"that is when", "the day after", "=date", "set it for", "after that", "=midnight", "in an hour", "this week",
	}},
	{"fr", "time", 0, "", []string{
		"apres le =3*|=2*|=1*", "au degel", "jusqu a la fin", "dimanche soir", "=jeudi|vendredi|samedi|lundi|mardi|mercredi",

		"le jour de", "avant noel",

		"le moment", "demain matin", "dans deux jours", "dans ...2 jours", "cette fois", "vacances de noel", "quand tout le monde sera", "pendant les vacances", "=apres",

		"ce soir", "a soir", "=demain", "=weekend", "fin de semaine", "=vendredi", "=samedi", "=dimanche", "=lundi", "=mardi", "=mercredi", "=jeudi",
		"apres ...4 fete|mariage|depart|noel|ecole|travail", "quand ...4 partira|dormira|parti|partie", "la semaine prochaine", "fin du mois", "=date", "=minuit", "cette nuit", "apres ca",
	}},
	{"en", "decided", 0, "", []string{
		"then i am done", "i am going to end", "once everyone is asleep",

		"know how and where", "i am ending it",

		"picked the spot", "decided it will be", "going to do it on", "gonna do it on", "not planning on driving back", "that gives me the window", "thought about it for a long time",

		"worked out the when", "the when and the where", "that is the plan", "that is the day", "came up here to do it", "know exactly how and where", "picked the date",

		"going to drive into", "worked it all out", "then i am done", "tonight i am going to",

		"=i_=decide", "set the date", "have everything ready", "everything is arranged", "all arranged", "i will finish",

		"i have|got a plan", "made my plan", "my plan is", "tonight is the night", "today is the day", "this is the night|day",

		"thought this|it through", "know where i am going", "what i am doing", "going|gonna to? take ...3 whole|all|everything", "my decision", "going to be on|at the ...2 tracks|bridge|roof|ledge", "date picked", "picked a date", "calm about it", "going to kill myself|end_it|end_my_life",

		"going to the bridge|tracks|roof|river|station|car_park", "not scared anymore", "all planned", "picked|chose|chosen a date|day", "all organised|organized", "waiting for the right",

		"it is decided", "i have decided", "decided ...3 die|end_it|to_do_it", "my decision is made", "plan is set", "the plan", "made up my mind", "going to|gonna do it", "will do it", "am going to|gonna ...2 jump|finish|end|go_there",
		"then i am ...2 done|gone|free", "it is decided", "going through with", "no turning back", "set it for", "that is when", "it will be over", "it is over", "my mind is made up", "going there",
		"i will be gone", "i am doing it",
	}},
	{"fr", "decided", 0, "", []string{
		"pris ma decision", "ce sera cette nuit|ce soir", "apres noel", "tout dans la tete", "c est regle", "pose un conge",

		"je prends tout", "c est choisi",

		"j ai decide|jai decide", "j ai tout prepare", "je vais aller au pont", "fini de niaiser", "je me en vas", "je y vais des que", "j ai choisi", "je sais ce que je vais en faire",

		"trouve le moyen", "ce sera regle", "j arrete tout", "attendre que ...4 partent",

		"je compte le faire", "je me tue", "c est pret",

		"tout|toute planifie", "compte tout prendre", "vais tout prendre", "je ferme la voiture",

		"je ai un plan", "ce soir c est le soir",

		"je vais me tuer|suicider|en_finir", "ma decision", "j ai pris ma decision", "je vais au pont",

		"choisi la date|le jour|le moment", "jusqu au bout", "ai tout organise|calcule|prevu", "irai au pont", "faire une ts", "plus peur", "c est pour cette_nuit|ce_soir|demain", "ca sera fini", "ce sera fini",

		"c est decide", "ma decision est prise", "je ai decide ...3 mourir|partir|en_finir|date|jour", "je vais le faire", "je le fais", "je vais ...2 sauter|partir|en_finir", "ce sera fini", "je me en vais", "plus de retour", "mon plan",
	}},
	{"en", "took", 0, "", []string{
		"took everything i had", "took the whole",

		"already take", "=bolused", "injected what",
		"took", "taken", "swallowed", "downed", "injected", "drank", "=mixed", "have been taking"}},
	{"fr", "took", 0, "", []string{
		"=toute_pris|tout_pris|tout_avale", "jai tout avale", "j ai toute pris", "avale toutes",

		"viens de prendre|avaler", "me suis injecte",
		"pris", "avale", "avalee", "bu", "injecte"}},
	{"en", "now", 0, "", []string{
		"there is a lot of blood", "too deep this time", "standing on the overpass", "on the overpass right now",

		"blood everywhere", "not calling anyone",

		"bath water ...3 red", "wrong side of the ...2 railing", "with it running", "typing with one hand",

		"halfway through the bottle", "on the roof right now", "sitting on the edge", "started the car ...3 garage", "already swallowed", "can not undo",

		"=wine|vodka|alcohol|whisky ...3 pills|tablets", "is this how it goes", "room is spinning",

		"hands ...2 numb", "can not feel my lips", "starting to sweat",

		"car is running ...4 garage", "garage ...4 door is shut", "on the tracks", "train is due", "standing on the roof|ledge|bridge|edge", "with the wine|vodka|alcohol|booze|whisky",

		"it is happening", "doing it now", "engine is|s on|running", "rope is up", "standing at|on the edge", "=overdosed", "=overdosing", "just did it", "too late now", "it is done",
		"vision ...3 blurry ...3 pills", "feel|feeling ...2 heavy|weird|drowsy|sleepy ...4 pills|tablets|took", "not stopping", "will not stop bleeding",
	}},
	{"fr", "now", 0, "", []string{
		"le gaz est ouvert", "ferme les fenetres", "je me sens drole",

		"je commence a",

		"au bord du lac", "poches pleines de cailloux", "l eau du bain est rouge", "ca saigne plus que", "=cest_fait|c_est_fait",

		"ouvert le poignet", "je commence a avoir",

		"presque fini", "je suis sur le pont",

		"ouvert les veines|poignets", "saigne beaucoup", "moteur tourne", "commence a trembler",

		"avec du vin|alcool|whisky", "sur le quai", "attends le prochain", "je commence a ...2 endormir|partir",
		"c est fait", "en train de", "je sens ...2 partir", "arrete pas de saigner", "trop tard", "je suis sur le|la pont|toit|bord"}},
	{"en", "all", 0, "", []string{
		"too much",

		"at once",

		"=20", "=25", "=30", "=40", "=50", "=60", "=100", "whole week",

		"=all", "everything", "whole", "entire", "=rest", "every", "worth", "handful", "=bunch", "too many", "=them",
	}},
	{"fr", "all", 0, "", []string{"=tout", "=toute", "=toutes", "=tous", "=entiere", "le reste", "trop de", "=plaquette"}},
	{"en", "farewell", 0, "", []string{
		"thanks to everyone ...3 before i go", "thank u all", "love u", "please tell my mom|dad|wife|husband", "none of this is her|his fault",

		"tell them ...3 mommy|daddy|mom|dad|i",

		"tapping out", "kept my promise as long as", "look after my dog|cat", "i am at peace with it", "kindred fam",

		"by the time anyone sees|reads this", "none of you could have", "sign off", "kinder than i deserved|deserve", "look after mum|mom|dad", "do not go looking for me", "be gentle with yourselves", "you were a light", "the best friend i ever had",

		"reads|sees this later", "none of it", "thank you before i go", "kept me here", "tell ...2 i_am_sorry|i_tried", "i tried",

		"logging off permanently", "if anyone sees this", "sorry to everyone", "none of this is because", "thank you for trying", "i love you mom|dad|mum",

		"gonna miss you all", "will miss you all", "you will be missed", "thanks kindred", "thank you kindred", "good luck everyone", "signing off",

		"=goodbye", "=bye", "=farewell", "taking my leave", "not be ...2 posting|logging|coming", "last time", "=last post|message", "this is it", "see ya|you never",
		"look|looking after each other", "take care of each other", "thank|thanks ...2 you all|everyone|everything|for listening", "not ...2 anyone|anybody|your fault",
		"love you all", "love yall", "sorry for everything", "were ...2 kind to me", "nice knowing", "final post|message|goodbye|words|night", "after tonight", "whoever reads this", "hear from me", "only people who", "forgive me",
	}},
	{"fr", "farewell", 0, "", []string{
		"merci d avoir ete la", "je vous oublie pas", "bisous a tous", "vous direz a", "desolee|desole pour ce que je vais faire", "ma vraie famille", "vous ai aimes", "bye tout le monde", "si tu lis ca",

		"merci d avoir essaye", "vous rends votre tranquillite", "ne me en voulez pas", "c est mieux comme ca", "vous comptez", "dites a ma_fille|mon_fils|ma_mere", "je vais etre correct maintenant", "le seul monde qui",

		"soyez doux", "ici que je me arrete", "je me excuse pour le mal", "garde le chat|chien", "bonne continuation", "plus gentils ...3 que je le meritais",

		"mon dernier soir", "c est mon dernier",

		"soyez pas tristes", "enfin en paix", "merci pis bonne chance", "avant de partir",

		"merci de m avoir", "vous avez ete la", "dire adieu",

		"cool de vous connaitre", "bye tout le monde", "c tout pour moi", "merci kindred", "bonne chance a vous", "ne reviendrai plus", "embrassez ... pour moi", "on se reverra", "vous allez me manquer", "=c_fini", "c est fini", "merci a tous",

		"=adieu", "au revoir", "=bye", "dernier message|post", "merci pour tout", "prenez|prends soin", "pas de ta|votre faute", "je vous aime", "pardon", "pardonnez", "derniere fois",
	}},
	{"en", "prep", 0, "", []string{
		"gave my ps5|games|console", "letters ...6 glovebox", "funeral wishes", "everything is squared away", "rehomed the dog",

		"in the trunk|boot", "bought the stuff", "=practicing|practising", "=obituary",

		"how to do stuff without me", "you will need this soon", "sealed it in an envelope", "emptied the fridge", "giving my stuff away", "take my cat|dog ...3 just in case",

		"funeral wishes", "made my will", "paid off ...3 credit card|loan|debts", "cancelled netflix|the_gym|subscriptions", "deleted my insta|instagram|twitter|facebook|photos", "erasing myself",

		"passwords in an envelope", "stopped buying groceries", "if something happens to me", "spare key", "speech for my own funeral", "cancelled all my appointments",

		"goodbye texts|letters|messages", "drafts folder", "changed the beneficiary", "sell|sold my car", "give ...2 the money", "already wrote the notes",

		"hid the note", "filled every prescription", "three|two|several pharmacies", "for whoever finds", "rationing it to zero", "practising|practicing with", "bought what i needed",

		"told everyone i am sorry", "who gets what", "=apologized|apologised", "sold my car|stuff|things",

		"gave|giving|give ...3 away", "gave|giving my ...3 to", "rehom*", "=passwords", "life insurance", "beneficiary", "my will", "wrote|written|writing|left ...2 note|notes|letter|letters",
		"note is written", "apologi* to", "closing everything", "loose ends", "recorded a video", "memoriali*", "cleaned ...2 mine|my_place|my_room|my_flat|my_apartment",
		"make|making sure ...4 covered|sorted|looked after", "sorted ...2 affairs|everything", "my affairs", "=guardian", "deleted ...2 accounts", "said my goodbyes",
	}},
	{"fr", "prep", 0, "", []string{
		"supprime toutes mes photos", "ferme mon compte", "donne mes identifiants", "qui doit avoir quoi", "annule mes rendez vous", "commence a donner mes affaires",

		"supprime mon insta|facebook|compte", "envoye mes codes",

		"donne ma guitare", "me delester", "qui prend mon chat|chien", "programme un mail|courriel", "trouve une famille pour mon", "rembourse ...3 au complet", "rien laisser derriere", "resilie netflix|spotify|la salle", "rendez vous chez le notaire",

		"rembourse toutes mes dettes", "resilie mon bail|forfait", "laisse les cles", "annule le cell",

		"mis de l ordre dans mes papiers", "saura ou chercher", "donne mon chat|chien", "annule tous mes rendez vous", "eloge funebre", "renouveler mes prescriptions",

		"achete ce qu il fallait", "dans le coffre", "ils pensent que je", "assurance vie",

		"vendu mon char|auto|voiture", "grand chose a regler", "excuser de tout|aupres", "resilie", "enterrement", "codes de la banque", "qui aura quoi",

		"donne ...3 mes", "donner ...3 mes", "testament", "lettre", "lettres", "assurance vie", "mot d adieu", "regle|regler mes affaires", "mots de passe", "tout range", "tout regle",
	}},
	{"en", "final", 0, "", []string{
		"one last time", "for some reason", "for good", "why the rush",

		"reasons i do not want to say", "tell my cat",

		"made my peace", "sooner rather than later",

		"whoever finds", "nobody has asked|asked_why", "it is not", "they think", "weirdly light", "no one knows", "nobody knows",

		"to each of", "to everyone", "each of my kids", "one by one", "in my desk|drawer", "ready now",

		"for good", "=forever", "=anymore", "not be around", "will not need", "not need them|it", "while i am still around", "just in case", "not really because", "for me not",
		"after i am gone", "when i am gone", "whenever", "for when", "be around for", "you know", "not sure why i am telling", "no matter how", "nobody will", "one last",
	}},
	{"fr", "final", 0, "", []string{
		"une derniere chose", "pour de bon", "tout soit propre", "vous comprendrez",

		"en aurai pas besoin", "pour la fin", "presque fini",

		"sais exactement ou", "pus besoin de rien", "plus besoin de rien",

		"personne le sait", "ils pensent que", "ils croient que",

		"chacun de mes", "a tout le monde", "pour tout le monde", "je suis prete|pret", "maintenant je suis", "plus grand chose", "pu grand chose", "si quelqu un lit ca",
		"pour de bon", "pour toujours", "au cas ou", "quand je serai plus", "plus besoin", "tant que je suis encore la", "une derniere"}},
	{"en", "harm", 0, "", []string{
		"hot spoons", "=relapsed ...6 blade",

		"=cut ...2 tonight|today|last_night|again", "picking ...4 on purpose",

		"relapsed on cutting",

		"bite|bit ...3 inside of my arm", "hide burns", "punched ...3 wall|tile|door ...8 on purpose",

		"punched ...3 tile|wall|door ...4 knuckles|bled|split", "punish themselves|myself",

		"scratched my wrists|arms", "until they bled", "bit my arm",

		"cut my thigh|thighs|arm|arms|wrist|wrists|leg|legs|stomach", "head against the wall", "wrists raw", "until it bled|bleeds", "streak ...2 gone|over|broken", "self punish*", "scalding ...3 on purpose", "hurting myself",

		"cut|cutting|burn|burning|burned|burnt|hurt|hurting|punish|punishing =myself", "cut deeper|deep", "cutting again", "=sh",
		"punch|punching|hit|hitting ...2 my thighs|legs|arms|head", "bit|bite|biting my arm|arms|hand|wrist", "slammed ...4 on purpose", "hide ...2 marks|scars|cuts", "marks on my arms|wrists|thighs|legs",
		"days|weeks|months clean", "reset the counter", "=relapsed", "not cutting", "cut again",
	}},
	{"en", "harm", 0, "mention", []string{"self harm|harming|harmed|injury", "selfharm"}},
	{"fr", "harm", 0, "mention", []string{"scarif*", "automutil*"}},
	{"fr", "harm", 0, "", []string{
		"me suis entaille|entaillee", "lames ...4 ressorties", "me faire mal ...3 bleus", "me mords les mains", "me frappe la tete",

		"coupee|coupe ce soir|hier", "me taper la tete",

		"recommence avec la lame", "me tape la tete", "encore fait mal", "me pince jusqu", "couverts de traits", "j en ai rajoute", "me suis tape le poing", "rechute a matin",

		"pour me punir", "faire du mal",

		"dans le cutting", "fait mal expres", "me suis fait mal",

		"jusqu au sang", "me frappe|frapper la tete", "me brule|bruler avec", "me mords|mordu ...2 bras",
		"me scarif*", "me couper", "me coupe", "me suis coupe|coupee", "me bruler", "me frapper", "me griffer", "automutil*", "cacher ...2 marques|cicatrices|coupures"}},
	{"en", "harm_weak", 0, "", []string{"=cut", "=cuts", "cutting", "scratch*", "bruise*", "=wrists", "=blades", "=razor", "=scars", "=marks", "=purged", "=burns"}},
	{"fr", "harm_weak", 0, "", []string{
		"=rechute|rechuté",
		"coupure*", "=marques", "cicatrices", "=lames", "=bleus", "=brulures", "griffures"}},
	{"en", "purpose", 0, "", []string{"on purpose", "deliberately", "=meant it", "i meant"}},
	{"fr", "purpose", 0, "", []string{"=expres", "volontairement", "=fait_expres"}},
}

// signalSystem is one detector's signals and combinations.
type signalSystem struct {
	detector  string
	set       uint8
	index     map[string]int
	n         int
	combos    []combo
	ruleNames [][2]string // per combination: its rule name in English and French texts
	// keep says whether a signal's hit counts (not negated, not someone
	// else's); context weighs a combination's anchor.
	keep    func(v *view, class int, h hit) bool
	context func(v *view, h hit, cb combo, window [2]int) (Level, string, bool)
	// extra hits (numbers read by code: a temperature, a duration).
	extra func(v *view) []hit
	// quiet classes are not shown as evidence ("suddenly", "tonight").
	quiet map[int]bool
}

func newSignalSystem(detector string, set uint8, names []string, combos []combo) *signalSystem {
	sys := &signalSystem{detector: detector, set: set, index: map[string]int{}, n: len(names), combos: combos}
	for _, cb := range combos {
		sys.ruleNames = append(sys.ruleNames, [2]string{detector + ".en.signals." + cb.name, detector + ".fr.signals." + cb.name})
	}
	for i, n := range names {
		sys.index[n] = i
	}
	return sys
}

var crisisSignals = func() *signalSystem {
	sys := newSignalSystem(DetectorCrisis, setCrisisSignals, signalNames[:], combos)
	sys.keep = func(v *view, c int, h hit) bool {
		// A negated word of death, wanting or harm ("no intention of
		// ending my life") does not count towards a combination, nor
		// someone else's death or harm ("he's dying").
		if (c == sigDeath || c == sigWant || c == sigHarm || c == sigHarmWeak) && v.negated(h) {
			return false
		}
		return !((c == sigDeath || c == sigHarm || c == sigHarmWeak || c == sigTook || c == sigPrep) && v.aboutSomeoneElse(h, false))
	}
	sys.context = func(v *view, h hit, cb combo, window [2]int) (Level, string, bool) {
		level, ctx, skip := v.signalContext(h, cb, window)
		if !skip && level > LevelLow && v.recovered() && !v.nowIn(h) {
			level, ctx = LevelLow, "a story of recovery"
		}
		return level, ctx, skip
	}
	return sys
}()

// combo is one combination of signals that makes a finding.
type combo struct {
	name     string
	category string
	level    Level
	anchor   int   // the signal whose words are weighed for context
	all      []int // every one of these …
	some     []int // … and at least one of these (if any)
}

// Combinations, strongest first.
var combos = []combo{
	{"attempt.now", "attempt_in_progress", LevelHigh, sigNow, []int{sigNow}, []int{sigDeath, sigMeans, sigFarewell, sigPurpose, sigTook, sigHarm, sigHarmWeak}},
	{"attempt.all", "attempt_in_progress", LevelHigh, sigTook, []int{sigTook, sigAll, sigMeans}, nil},
	{"attempt.why", "attempt_in_progress", LevelHigh, sigTook, []int{sigTook, sigMeans}, []int{sigPurpose, sigDeath, sigFarewell, sigFinal, sigEye, sigHopeless}},
	{"plan", "plan_intent_timing", LevelHigh, sigDecided, []int{sigDecided}, []int{sigDeath, sigMeans, sigFinal, sigHopeless, sigFarewell, sigPrep, sigTime}},
	{"timed", "plan_intent_timing", LevelHigh, sigTime, []int{sigTime, sigDeath}, []int{sigWant, sigMeans, sigFinal}},
	{"goodbye", "farewell", LevelHigh, sigFarewell, []int{sigFarewell}, []int{-sigFarewell, sigFinal, sigDeath, sigTime}},
	{"plan.sure", "plan_intent_timing", LevelHigh, sigDecided, []int{sigDecided}, []int{-sigDecided}},
	{"prep.two", "preparatory_acts", LevelMedium, sigPrep, []int{sigPrep}, []int{-sigPrep}},
	{"prep", "preparatory_acts", LevelMedium, sigPrep, []int{sigPrep}, []int{sigFinal, sigDeath, sigFarewell, sigHopeless}},
	{"stash", "method_means", LevelMedium, sigEye, []int{sigEye, sigMeans}, nil},
	{"wish", "passive_death_wish", LevelMedium, sigDeath, []int{sigDeath}, []int{sigWant, sigHopeless}},
	{"harm", "self_harm", LevelMedium, sigHarm, []int{sigHarm}, nil},
	{"harm.why", "self_harm", LevelMedium, sigHarmWeak, []int{sigHarmWeak}, []int{sigPurpose, sigHopeless, sigFinal}},
}

// readSignals reads the signals of a text and the combinations they
// make, sentence by sentence with the sentences around (a short text is
// read whole).
func (v *view) readSignals(sys *signalSystem) []Finding {
	hits := v.hitsOf(sys.set)
	if sys.extra != nil {
		if extra := sys.extra(v); len(extra) > 0 {
			hits = append(hits[:len(hits):len(hits)], extra...)
		}
	}
	if len(hits) == 0 {
		return nil
	}
	sents := v.sentences()
	// per[sentence*n + class] lists the hits (a buffer of the view, kept
	// between calls with each list emptied).
	if want := len(sents) * sys.n; len(v.per) < want {
		v.per = append(v.per, make([][]int32, want-len(v.per))...)
	}
	per := v.per[:len(sents)*sys.n]
	for i := range per {
		per[i] = per[i][:0]
	}
	for i, h := range hits {
		c, ok := sys.index[h.r.category]
		if !ok || (sys.keep != nil && !sys.keep(v, c, h)) {
			continue
		}
		k := h.sentenceID*sys.n + c
		per[k] = append(per[k], int32(i))
	}
	short := len(v.toks) <= 30 || len(sents) <= 2
	var out []Finding
	for s := range sents {
		lo, hi := max(s-1, 0), min(s+1, len(sents)-1)
		if short {
			lo, hi = 0, len(sents)-1
		}
		count := func(c int) int {
			n := 0
			for t := lo; t <= hi; t++ {
				n += len(per[t*sys.n+c])
			}
			return n
		}
		// distinct counts the separate places a class was found (two rules
		// on one word count once).
		distinct := func(c int) int {
			n, last := 0, -1
			for t := lo; t <= hi; t++ {
				for _, i := range per[t*sys.n+c] {
					if h := hits[i]; h.from > last {
						n, last = n+1, h.to-1
					}
				}
			}
			return n
		}
		for ci, cb := range sys.combos {
			if len(per[s*sys.n+cb.anchor]) == 0 {
				continue
			}
			ok := true
			for _, c := range cb.all {
				if count(c) == 0 {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			if len(cb.some) > 0 {
				ok = false
				for _, c := range cb.some {
					if (c < 0 && distinct(-c) >= 2) || (c >= 0 && count(c) > 0) {
						ok = true
						break
					}
				}
				if !ok {
					continue
				}
			}
			anchor := hits[per[s*sys.n+cb.anchor][0]]
			level, ctx, skip := sys.context(v, anchor, cb, [2]int{sents[lo][0], sents[hi][1]})
			if skip {
				continue
			}
			f := Finding{Detector: sys.detector, Category: cb.category, Level: level, Rule: sys.ruleNames[ci][langIndex(anchor.r.lang)], Context: ctx}
			f.Spans = append(make([]Span, 0, 1+len(cb.all)+len(cb.some)), v.spanOf(anchor.from, anchor.to))
			for _, classes := range [2][]int{cb.all, cb.some} {
				for _, c := range classes {
					if c < 0 || c == cb.anchor || sys.quiet[c] {
						continue
					}
					for t := lo; t <= hi; t++ {
						if k := t*sys.n + c; len(per[k]) > 0 {
							h := hits[per[k][0]]
							f.Spans = append(f.Spans, v.spanOf(h.from, h.to))
							break
						}
					}
				}
			}
			out = mergeFinding(out, f)
		}
	}
	return out
}

// signalContext weighs the context of a combination's anchor as the
// phrase rules do; skip means an idiom covers it.
func (v *view) signalContext(h hit, cb combo, window [2]int) (Level, string, bool) {
	idioms, lower := idiomEN, lowerEN
	if h.r.lang == "fr" {
		idioms, lower = idiomFR, lowerFR
	}
	wide := h
	wide.sentence = window
	switch {
	case v.overlapsPattern(h, idioms) || v.sentenceHas(h, idioms):
		return LevelNone, "", true
	case v.negated(h):
		return LevelLow, "negated", false
	case cb.category != "farewell" && v.aboutSomeoneElse(h, false):
		return LevelLow, "someone else", false
	case v.inThePast(h):
		return LevelLow, "in the past", false
	case v.textHas(h.r.lang, recoveryStrong):
		return LevelLow, "a story of recovery", false
	case v.textHas(h.r.lang, awarenessText):
		return LevelLow, "awareness, grief, research or a question", false
	case v.quoted(h):
		return LevelLow, "someone else's words", false
	case h.r.mention && !v.firstPersonIn(h) && !v.telegraphic(h.sentence[0], h.r.lang):
		return LevelLow, "a mention, not about the writer", false
	case v.sentenceHas(h, lower) && (h.r.mention || !v.firstPersonIn(h)):
		return LevelLow, "awareness, grief, research or a question", false
	case (cb.category == "attempt_in_progress" || cb.category == "method_means") && v.sentenceHas(h, routine) && !v.sentenceHas(h, onPurpose):
		return LevelLow, "taking medicines as usual", false
	case v.sentenceHas(h, asked) && cb.level < LevelHigh:
		return LevelLow, "a clinician's question", false
	case v.sentenceHas(wide, accident):
		return LevelLow, "an accident or an everyday meaning", false
	}
	return cb.level, "", false
}

// firstPersonIn: the writer speaks of themselves in the hit's sentence.
func (v *view) firstPersonIn(h hit) bool {
	first := firstEN
	if h.r.lang == "fr" {
		first = firstFR
	}
	_, ok := v.any(first, h.r.lang, h.sentence[0], h.sentence[1])
	return ok
}

// mergeFinding adds f to a list with one finding per category: the
// highest level wins, spans are gathered.
func mergeFinding(list []Finding, f Finding) []Finding {
	for i := range list {
		if list[i].Category != f.Category {
			continue
		}
		if f.Level > list[i].Level {
			list[i].Level, list[i].Rule, list[i].Context, list[i].Score = f.Level, f.Rule, f.Context, f.Score
		}
		for _, sp := range f.Spans {
			if !overlapsAny(list[i].Spans, sp.Start, sp.End) {
				list[i].Spans = append(list[i].Spans, sp)
			}
		}
		return list
	}
	return append(list, f)
}

// recovered: the text tells of a crisis that is over ("two years self-harm
// free", "I used to…", "therapy saved my life", "j'en ai 34 maintenant").
func (v *view) recovered() bool {
	v.languages()
	en, fr := v.en0, v.fr0
	ps := recoveryEN
	if fr > en {
		ps = recoveryFR
	}
	lang := "en"
	if fr > en {
		lang = "fr"
	}
	return v.textHas(lang, ps)
}

// nowIn: the hit's sentence brings it to the present ("again", "tonight",
// "lately").
func (v *view) nowIn(h hit) bool {
	now := nowEN
	if h.r.lang == "fr" {
		now = nowFR
	}
	_, ok := v.any(now, h.r.lang, h.sentence[0], h.sentence[1])
	return ok
}

var (
	recoveryEN []pattern
	recoveryFR []pattern
)

// routine: medicines taken or counted as prescribed.
var routine []pattern

var onPurpose []pattern

// awarenessText: the whole text teaches or warns ("warning signs of
// suicide are…", "if someone in your life…").
var awarenessText []pattern

// quoted: the words stand in a quotation after "said" ("he said, 'I don't
// want to be here anymore'").
func (v *view) quoted(h hit) bool {
	start := v.toks[h.sentence[0]].start
	if h.sentenceID > 0 {
		start = v.toks[v.sentences()[h.sentenceID-1][0]].start
	}
	before := v.text[start:v.toks[h.from].start]
	q := strings.LastIndexAny(before, "\"“«")
	if q < 0 {
		return false
	}
	lead := strings.ToLower(before[:q])
	for _, w := range []string{"said", "says", "told me", "asked", " dit", "disait", "m'a dit", "a dit"} {
		if i := strings.LastIndex(lead, w); i >= 0 && len(lead)-i < 40 {
			return true
		}
	}
	return false
}

// recoveryStrong: the text says the crisis is over in words no "now" can
// undo ("three years clean now", "so glad I stayed").
var recoveryStrong []pattern

// signalSets compiles this file's pattern and word sets (see compileSets).
func signalSets() {
	recoveryEN = patterns("en", "used to", "years|months ago", "years|months ...3 free|clean|sober", "free|clean for ...3 years|months", "have not|never ...4 in|for|since ...3 years|months",
		"back when", "that was ...3 ago|years", "better place now", "i am well now", "well now", "doing well|better now", "therapy|meds|treatment|medication|help ...4 changed|saved|helped|got_me_through|works|worked",
		"proud of", "not me anymore", "=survivor", "still here", "recovered", "in my teens|twenties|thirties", "as a teen|teenager|kid", "in college|highschool|uni|university",
		"share|sharing ...3 hope", "it gets better", "years now", "better since", "as a young man|woman|teen|girl|boy", "=once tried", "at =1*|2*", "i made it", "glad i am still here", "grateful", "glad i did not", "it can change", "=celebrating", "with my first")
	recoveryFR = patterns("fr", "il y a ...3 ans|mois", "=y a ...3 ans|mois", "a =1*|2* ans", "en ai =1*|2*|3*|4*|5*|6*", "sauve la vie", "ca va super bien|mieux|bien", "aujourd hui ...4 contente|content|bien|mieux|heureuse|heureux",
		"avec mon premier", "dans le temps", "a l epoque", "me en suis sorti|sortie", "plus jamais", "je vais mieux|bien maintenant", "encore la", "ca fait ...3 ans", "=therapie ...4 aide|sauve|change", "fiere|fier de")
	routine = append(patterns("en", "=today|yesterday ...3 took|take", "this morning", "as prescribed", "on time", "like a good", "remember*", "forgot", "=with food|breakfast|dinner|lunch|meals",
		"every day|morning|evening|night", "=daily", "=bedtime", "=pharmacy|pharmacist|refill|prescription", "=dose|doses|dosage", "=ratio|carbs|correction", "sort|sorting|organi*|=dosette|pill_box|pillbox"),
		patterns("fr", "ce matin", "comme prescrit", "=oublie", "avec le repas|dejeuner|diner|souper", "tous les jours|matins|soirs", "=pharmacie|pharmacien|ordonnance|renouvellement", "=dose|doses|posologie", "=ratio|glucides")...)
	onPurpose = patterns("en", "on purpose", "deliberately", "=expres", "=volontairement")
	awarenessText = append(patterns("en", "warning signs", "wish more people knew", "if someone in your life", "=if_you_notice", "=reach_out_to_them"), patterns("fr", "signes avant coureurs", "signes d alerte", "si un de vos proches")...)
	recoveryStrong = append(patterns("en", "years|months clean|free", "glad i stayed", "i got help", "it can change", "years now"), patterns("fr", "ans sans ...2 couper|me_couper|rechute", "contente|content d etre reste|restee")...)
}
