package safety

import "strconv"

// Signals for the urgent detector: the second layer beside its phrases
// (urgent.go). Each body system has a class of signs, and a sign with
// another one, or with a word saying it is sudden, severe or happening
// now, makes a finding: "pressure in the middle of my chest" + "clammy",
// "left side of my face feels odd" + "since lunch", "fever" + "on
// chemo", "fontanelle is bulging" + a baby.

// Urgent signal classes.
const (
	uChest      = iota // chest pain, pressure, between the shoulder blades, jaw
	uAutonomic         // clammy, cold sweat, white as a sheet, nauseous
	uNeuro             // one side numb, face odd, words wrong, can't understand
	uBreath            // hard to breathe, lips blue, grunting, can't speak
	uSwell             // face, tongue, lips, throat swelling; hard to swallow
	uAllergen          // new antibiotic, stung, peanuts
	uBleed             // bleeding, blood, pads an hour
	uThinner           // warfarin, apixaban, anticoagulant
	uHeadHit           // fell, hit the head, a lump
	uDrowsy            // drowsy, vague, confused, not making sense, vomiting
	uKetones           // ketones, fruity breath, meter HI, DKA
	uDiabetes          // diabetic, insulin, type 1
	uFever             // fever, temperature, chills, a reading of 38 and more
	uImmuno            // chemo, neutropenic, post-op, a stent, a UTI
	uMottled           // mottled, blotchy, a rash that does not fade
	uNeck              // stiff neck, light hurts
	uSeizure           // a seizure, a fit, convulsions
	uSeizureBad        // five minutes and more, another one, not waking, in water
	uPoison            // swallowed something, a double dose, mushrooms, fumes
	uVision            // a curtain over one eye, sudden blindness
	uHeadache          // sudden, worst-ever, thunderclap headache
	uBaby              // a newborn, a baby of weeks or months
	uBabySign          // not feeding, floppy, no wet nappy, bulging fontanelle
	uAbdomen           // belly hard as a board, testicle pain, can't feel legs
	uAcute             // sudden, now, for the last hour, getting worse, 10/10
	uLowSugar          // a dangerous glucose reading, the meter saying LO
	uYoungBaby         // under three months: a fever is an emergency
	uCount
)

var urgentSignalNames = []string{"chest", "autonomic", "neuro", "breath", "swell", "allergen", "bleed", "thinner", "head_hit", "drowsy", "ketones", "diabetes",
	"fever", "immuno", "mottled", "neck", "seizure", "seizure_bad", "poison", "vision", "headache", "baby", "baby_sign", "abdomen", "acute", "low_sugar", "young_baby"}

var urgentSignalSpecs = []ruleSpec{
	{"en", "chest", 0, "", []string{
		"=icd|defibrillator ...3 fired|shocked", "heart keeps skipping|fluttering",

		"clutching ...2 chest", "pulse|heart_rate ...3 =2*|=3*",

		"both arms", "upper back ...3 ache|pain", "squeezing ...6 chest",

		"holding ...2 chest", "=heartburn",

		"=indigestion", "=gtn|nitro|spray ...6 not|no_difference|three|3|isnt",

		"chest ...3 pain|pressure|tight|tightness|heavy|heaviness|burning|crushing|squeezing|ache", "pain|pressure|tightness|heaviness|burning|ache|weight ...6 chest", "between ...2 shoulder blades",
		"jaw ...3 ache|aches|hurts|pain", "left arm ...3 tingling|numb|heavy|ache|pain|hurts", "pain ...3 left arm|jaw|neck", "heart attack", "=angina", "=gtn|nitro ...6 not",
	}},
	{"fr", "chest", 0, "", []string{
		"pouls a =3*|=2*", "defibrillateur ...3 choque",

		"bat a =1*|=2*",

		"mal a l estomac",

		"poids sur ...2 estomac|poitrine", "coeur a =1*|=2*", "=natispray|trinitrine ...8 passe_pas|pas|plus|trois",

		"poitrine", "thorax", "thoracique", "entre les omoplates", "machoire", "bras gauche ...3 engourdi|lourd|mal|douleur", "crise cardiaque", "infarctus", "serre* ...3 poitrine",
	}},
	{"en", "autonomic", 0, "", []string{
		"weak all over",

		"=shaky", "cold and clammy",

		"threw up", "thrown up", "passed out", "nearly passed out", "=faint", "going to faint",

		"clammy", "cold sweat", "=sweating|sweaty|sweats", "white as a sheet", "=pale", "=grey|gray", "nauseous", "=nausea", "feel|feeling sick", "=vomiting|throwing_up", "wiped out", "short of breath", "breathless",
		"=dizzy", "light headed|lightheaded", "about to faint|pass_out",
	}},
	{"fr", "autonomic", 0, "", []string{
		"=vertiges", "toute blanche",

		"=sue", "sue a grosses gouttes",

		"essoufflee", "points noirs", "=vomi", "tomber dans les pommes",
		"=blême|bleme", "=pale", "sueurs", "sueur", "transpire", "envie de vomir", "nausee*", "=vomit", "essouffle*", "etourdi*", "tete qui tourne"}},
	{"en", "neuro", 0, "", []string{
		"missing the left|right side", "bumping into", "leg dragged", "words ...2 thick", "smile looks wrong", "mouth ...2 not moving", "=seeing_blurry",

		"can not talk right|properly",

		"=nonsense", "can not walk straight", "leaning to the", "two of everything", "can not find ...2 words", "find words", "mouth is|looks down", "arm ...2 flops", "can not say", "get my words out", "=mumbles|mumbling",

		"side ...3 numb|weak|heavy|dead|tingling", "face ...4 numb|odd|droop*|drooping|crooked|weird|funny|lopsided|dropped", "hand|arm|leg ...3 numb|weak|heavy|useless",
		"can not understand|follow", "does|can not understand ...3 saying", "words ...4 wrong|jumbled|garbled|coming_out|mixed", "answering the wrong", "lost ...2 balance", "can not ...2 hold|grip|lift|raise",
		"speech ...3 slurred|off|strange|funny|weird", "=slurring|slurred", "looks lost", "=wrds", "=comig", "seeing double", "=double_vision", "numb ...4 face|arm|side|hand",
	}},
	{"fr", "neuro", 0, "", []string{
		"bave d un bord", "lever le bras", "machouille ses mots",

		"sent plus sa|son jambe|bras", "voix pateuse",

		"visage croche|de_travers", "cote ...2 tombe", "echappe tout", "bras ...3 tout mou", "sens a peine", "arrive plus a tenir", "titube|tituber", "voit|vois trouble", "voir flou",

		"toute croche",

		"parle tout croche", "bouche ...3 croche|travers", "echappe", "bouger le bras", "cherche ses|mes mots", "mots qui existent pas", "bras tout mou", "arrive plus a parler",

		"comprend plus", "ne comprend pas", "perdu ...2 equilibre", "jambe|bras|main ...3 lache|tient_plus|repond_plus|engourdi|engourdie|faible", "visage ...3 engourdi|tombe|travers",
		"vois double", "voit double", "tiens pas debout", "parle ...2 mal|bizarre", "mots ...3 melange*", "cote ...3 engourdi|paralyse",
	}},
	{"en", "breath", 0, "", []string{
		"barely touching", "few words out",

		"blue around the|her|his mouth|lips", "breathing funny|weird|strange",

		"=choking", "stuck ...3 throat", "can not cough", "grabbing ...2 throat", "can not finish ...2 sentences|sentence",

		"drooling ...4 swallow", "sitting forward", "=sats ...2 =8*|=7*",

		"hard|hardly|struggling|trouble|difficult|can not ...3 breathe|breath|breathing", "short of breath", "breathing ...3 fast|hard|heavy|deep|weird", "=wheez*", "can not ...2 talk|speak|finish",
		"=grunting", "lips ...4 blue|dusky|grey|gray|purple", "hurts to breathe", "gasping", "=inhaler|puffer|ventolin ...6 not|nothing|puffs", "=sats ...3 =8*|=7*",
	}},
	{"fr", "breath", 0, "", []string{
		"fait des pauses", "pauses respiratoires", "oxymetre|saturometre ...3 =7*|=8*",

		"reprendre mon|son souffle", "pompe bleue ...3 rien|plus", "bleute*", "bleu ...3 bouche", "sat|saturation ...3 =8*|=7*", "avale de travers", "ne tousse plus", "devient bleu|bleue",

		"se creuse ...3 cotes",

		"dire une phrase", "finir ses|mes phrases", "narines", "ongles ...2 bleus", "saturometre ...4 =8*",

		"manque d air", "sature a =8*|=7*", "cotes ...2 creus*", "grogne", "=tirage",

		"mal a respirer", "respire ...2 vite|mal|fort|difficilement", "respirer", "peux plus parler", "geint", "=sifflement", "levres ...3 bleu*", "tour de la bouche ...2 bleu*", "bouffees ...4 passe_pas",
		"=ventoline", "etouffe", "souffle court",
	}},
	{"en", "swell", 0, "", []string{"face|lips|tongue|throat|eyes ...3 swell*|swollen|puffing|puffy|huge|tight|closing", "hard to swallow", "can not swallow", "=hives"}},
	{"fr", "swell", 0, "", []string{"visage|levres|langue|gorge|yeux ...3 gonfl*|enfl*", "avaler", "plaques partout", "urticaire"}},
	{"en", "allergen", 0, "", []string{
		"=pril", "lisinopril", "ramipril", "changed my ...3 tablet|pill|medication",
		"new ...2 antibiotic|meds|medication|pill|drug", "=stung", "=bee|wasp|sting", "peanut*", "=nuts|cashew|shellfish|prawns|shrimp", "=allergic", "after eating", "=amoxicillin|penicillin"}},
	{"fr", "allergen", 0, "", []string{"pique|piquee", "abeille", "guepe", "arachide*", "=noix", "fruits de mer", "allergi*", "nouvel ...2 antibiotique|medicament", "nouveau ...2 antibiotique|medicament"}},
	{"en", "bleed", 0, "", []string{
		"through the dressing", "incision ...3 open",

		"passed a clot", "blood running", "coffee grounds",

		"coughed up ...3 blood", "=spotting", "still coming",

		"bleeding", "=bled", "=blood", "=pads|pad ...3 hour", "=soaking", "nosebleed", "=clots", "=vomited|vomiting|coughing|throwing ...2 blood", "black ...2 stool|poo|tarry",
	}},
	{"fr", "bleed", 0, "", []string{
		"saigne tellement",

		"=gicle", "ca traverse",

		"coule a flot",

		"urine du sang", "plus rien ne sort",
		"saign*", "=sang", "serviette* ...3 heure", "caillots", "hemorragie", "selles noires"}},
	{"en", "thinner", 0, "", []string{
		"postpartum", "post partum", "=aspirin|ibuprofen",
		"warfarin", "apixaban", "=eliquis", "xarelto", "rivaroxaban", "blood thinner*", "anticoagulant*", "=coumadin", "pregnan*", "=weeks_pregnant"}},
	{"fr", "thinner", 0, "", []string{
		"fausse couche",

		"post partum", "accouchement",
		"anticoagulant*", "=coumadine|xarelto|eliquis|sintrom", "enceinte"}},
	{"en", "head_hit", 0, "", []string{"hit ...3 head", "fell ...6 head", "bang* ...3 head", "big lump", "=concussion", "fell off|down", "=fall"}},
	{"fr", "head_hit", 0, "", []string{
		"tombe|tombee de", "=tombe|tombee",
		"cogne ...3 tete", "tombe|tombee ...6 tete|escalier", "grosse bosse", "=chute"}},
	{"en", "drowsy", 0, "", []string{
		"=snoring", "can not wake",

		"half awake", "=mumbling", "=drenched",

		"not answering", "=spacey", "hard to wake",

		"=slumped", "hard to keep awake", "heart racing", "heart rate|pulse ...3 =12*|=13*|=14*|=15*|=16*|=17*|=18*", "very weak", "very pale", "thrown up", "threw up", "throwing up", "been sick", "=delirious",

		"=drowsy", "=vague", "=confused", "not making sense", "=vomited|vomiting|throwing_up", "=sleepy", "=lethargic", "=unresponsive", "=unconscious", "will not wake", "hard to wake",
		"acting drunk", "=aggressive", "=irritable", "not ...2 himself|herself", "=shaky", "=shaking",
	}},
	{"fr", "drowsy", 0, "", []string{
		"=ronfle",

		"ouvre pas les yeux", "pas d allure",

		"se reveille ...2 pas",

		"=mele|melee", "tout mele", "pas rapport", "n importe quoi",

		"agressif", "agressive",

		"delire", "comprend plus", "reprend ...2 esprits|connaissance", "sait pas ou", "tres endormie|endormi", "pouls ...3 =3*|=4*",
		"=confus|confuse|confuse", "=vomi|vomit|vomis", "=somnolent*", "=endormi*", "=inconscient*", "reveille pas", "repond ...2 plus|pas", "=mou|molle", "bizarre"}},
	{"en", "ketones", 0, "", []string{"ketones", "=dka", "fruity|pear drops|nail_polish ...2 breath", "breath ...3 smells|fruity|pear", "meter ...3 =hi", "=hi", "ketoacidosis", "=ketone"}},
	{"fr", "ketones", 0, "", []string{"cetone*", "acetone", "haleine ...4 pomme|acetone|fruit*", "acidocetose", "=hi"}},
	{"en", "diabetes", 0, "", []string{
		"went|going low", "=hypo|hypos",
		"diabetic", "diabetes", "insulin", "=t1|t1d|type_1|type1|t2", "=pump", "=cgm|dexcom|libre", "=bg", "blood sugar", "=sugar|sugars|glucose"}},
	{"fr", "diabetes", 0, "", []string{
		"baqsimi", "glucagen", "glucagon",

		"=hypo|hypos",
		"diabet*", "insuline", "=dt1|dt2", "=pompe", "glycemie", "=sucre"}},
	{"en", "fever", 0, "", []string{"fever", "feverish", "=temp|temperature ...3 up|high|spiked", "=chills", "shaking chills", "=rigors", "shivering", "burning up", "=hot"}},
	{"fr", "fever", 0, "", []string{
		"brulant", "brulante",
		"fievre", "fievreux", "fievreuse", "frissons", "grelotte", "temperature"}},
	{"en", "immuno", 0, "", []string{
		"sickle cell", "=pred|prednisone|cellcept|mycophenolate|biologic", "spleen removed", "=splenectomy", "=neutrophils", "cloudy ...2 bags|effluent",

		"postpartum", "post partum", "after giving birth", "methotrexate", "red streaks", "=cut ...4 red", "=eculizumab",

		"chemo", "chemotherapy", "neutropen*", "=folfox|folfiri|infusion|cycle", "=port|picc", "post op", "surgery", "=stent", "=uti", "pneumonia", "=infection", "=antibiotics", "=wound", "=transplant", "=immunosuppress*",
	}},
	{"fr", "immuno", 0, "", []string{
		"drepanocytaire", "chambre implantable", "=cure",

		"leucemie", "lymphome", "traitement pour",

		"accouchement", "methotrexate",
		"chimio", "chimiotherapie", "neutropen*", "=cure", "operation", "opere*", "=stent", "infection urinaire", "pneumonie", "=infection", "antibiotique*", "plaie", "greffe*"}},
	{"en", "mottled", 0, "", []string{
		"cuff|bp|pressure ...3 =7*|=8* =4*|=5*",

		"mottled", "blotchy", "knees ...3 purple|blotchy", "do|does not ...2 blanch|fade", "non blanching", "pinprick*", "petechia*", "purple ...2 spots|rash|patches", "glass test", "under ...2 glass",
	}},
	{"fr", "mottled", 0, "", []string{
		"violace*",
		"marbre*", "marbrures", "plaques mauves|violettes", "taches mauves|violettes|rouges", "test du verre", "partent pas ...3 verre", "genoux ...3 marbr*|mauves"}},
	{"en", "neck", 0, "", []string{
		"neck pain|hurts|ache", "light sensitivity", "sensitive to light", "move his|her head",

		"can not look at the light",
		"stiff neck", "neck ...3 stiff", "can not bend ...2 neck", "hates the light", "light hurts", "light ...3 hurts|painful", "chin to ...2 chest"}},
	{"fr", "neck", 0, "", []string{
		"cou ...2 barre|bloque",

		"=nuque",
		"cou raide", "nuque raide", "baisser la tete", "lumiere ...3 fait mal", "plier la nuque"}},
	{"en", "seizure", 0, "", []string{
		"jerking|jerks ...2 rhythmic*",

		"tonic clonic",

		"=seized",
		"seizure", "seizures", "=seizing", "=fit", "=fitting", "convuls*", "=epileptic", "had a fit"}},
	{"fr", "seizure", 0, "", []string{
		"en refait une",

		"tremble|trembler de partout", "yeux vires",
		"convuls*", "crise d epilepsie", "=crises", "epilep*"}},
	{"en", "seizure_bad", 0, "", []string{
		"seizures in the last hour",

		"still not responding", "still going", "over 5 minutes", "=postictal", "=cluster", "in the tub",

		"third|second|3rd|2nd seizure", "in an hour", "=clusters|clustering", "started again",

		"another one", "having another", "one after another", "back to back", "did_not|has_not|hasn|not ...2 wake|woken|come_round", "in the bath|water|pool|lake", "while swimming", "first ever|one",
		"and counting", "longer than ...2 usual", "still ...2 shaking|seizing|jerking", "rescue ...2 med|medication|midazolam|buccolam",
	}},
	{"fr", "seizure_bad", 0, "", []string{
		"jamais fait de sa vie",

		"en refait", "une autre",

		"premiere fois", "d affilee", "reprend ...2 mal|pas", "sait pas ou",
		"enchaine", "une autre", "sans reprendre conscience", "reprend pas", "dans le bain|eau|piscine", "premiere crise", "toujours pas ...2 arrete"}},
	{"en", "poison", 0, "", []string{
		"vodka|alcohol|wine ...6 pills", "double digoxin",

		"too many tylenol|paracetamol|acetaminophen",

		"=needle|syringe ...6 floor|next", "pupils ...2 tiny|pinpoint|pinned", "=naloxone|narcan", "pills ...3 in front of me", "can not stay safe", "took ...3 whole bottle|box|pack",

		"=lantus|insulin|units ...3 twice|double", "lamp oil", "=kerosene|paraffin|gasoline", "swallowed ...4 bunch|lot|handful|balls|magnets", "do not know how many", "got into ...6 pills|purse|bag",

		"took too many", "bleach|chemical|cleaner ...4 eye",

		"drink|drinks|drinking ...4 bleach|bottle|cleaner|liquid", "generator ...8 garage|running", "instead of once", "taken|took ...2 all ...2 her|his pills", "three|3 times today",

		"took something", "=molly|mdma|ecstasy", "double|twice|triple|three_times ...2 his|her|my ...1 dose|pills|tablets|digoxin|metoprolol|lithium|warfarin|insulin", "oven cleaner|bleach|chemical ...4 eye", "pills ...3 lined up", "locked the door",

		"drank|swallowed|ate|chewing|chewed|licked|got_into ...4 liquid|bleach|detergent|pod|pods|battery|batteries|patch|patches|pills|tablets|mushrooms|cleaner|antifreeze|medicine|magnet",
		"double|twice|triple ...3 dose|doses|paracetamol", "times ...2 the dose", "by mistake", "wild mushrooms", "=fentanyl ...3 patch|patches", "carbon monoxide", "=boiler|furnace|heater ...14 headache|headaches|nausea",
		"headaches ...8 boiler|furnace|heater|everyone|whole_family", "whole family ...4 headache|headaches",
	}},
	{"fr", "poison", 0, "", []string{
		"produit ...3 yeux|oeil",

		"pupilles ...2 petites", "respire a peine", "=fentanyl",

		"toute sa|ma plaquette",

		"cachets|pilules|comprimes ...6 alcool",

		"pris des cachets|comprimes|pilules de", "pupilles", "lave vitre", "=lave", "toute sa bouteille|boite", "generatrice|generateur ...6 garage",

		"fois ...1 dose", "fois sa dose",

		"avale|bu|mange|machouille|croque ...4 produit|javel|pile|piles|comprimes|cachets|champignons|medicament*|pastille|lessive", "fois la dose", "double dose", "par erreur", "champignons ...3 cueillette",
		"monoxyde", "poele|chaudiere|fournaise|chauffage ...10 mal_a_la_tete|vomir|bruit", "tous mal a la tete",
	}},
	{"en", "vision", 0, "", []string{
		"sudden* ...3 blurry",

		"sight ...4 went|gone|black|completely", "switched off a light",

		"=halos", "eye ...3 suddenly|blurry|red ...4 painful|pain", "flashes|floaters ...14 shadow|curtain", "sight ...4 dim|going|dark",

		"curtain|shadow|veil|blind ...6 eye|vision", "blackness ...3 eye", "can not see ...4 eye|out of", "lost ...2 vision|sight", "vision ...3 gone|went|black", "sudden* ...3 blind", "flashes ...6 shadow|curtain",
	}},
	{"fr", "vision", 0, "", []string{
		"voit|vois flou d un oeil", "mal en machant",

		"mouches lumineuses", "=voile",

		"=halos", "vois des mouches", "oeil ...3 rouge ...4 douleur",
		"voile ...4 oeil", "voit|vois plus rien ...3 oeil", "perdu la vue", "rideau ...4 oeil|vue", "eclairs ...6 voile|oeil"}},
	{"en", "headache", 0, "", []string{
		"headache ...4 not|won ...2 touch|help|shift|budge|ease",

		"sudden*|worst|10/10|thunderclap ...3 headache",

		"headache|head ...6 sudden*|suddenly|out_of_nowhere|worst|thunderclap|struck|exploded|10/10|10|bat", "worst ...2 headache|pain ...3 ever|life", "thunderclap", "struck ...3 bat|hammer",
	}},
	{"fr", "headache", 0, "", []string{
		"cephalees", "mal de tete ...4 calme_pas|passe_pas",
		"explose ...3 tete", "pire douleur", "mal de tete ...4 terrible|violent|brutal|atroce|coup", "coup de tonnerre", "jamais eu ...3 mal"}},
	{"en", "baby", 0, "", []string{"baby", "newborn", "infant", "=days|weeks|month old", "=week|month old", "=2yo|3yo|toddler", "=bub", "=little_one"}},
	{"fr", "baby", 0, "", []string{"bebe", "nouveau ne", "nourrisson", "=mois", "=semaines", "poupon", "petit|petite de"}},
	{"en", "baby_sign", 0, "", []string{
		"redcurrant jelly", "legs|knees up", "threw up green", "vomiting green", "green stuff",

		"not ...2 fed|feeding|eating|drinking", "will not feed", "very sleepy", "=floppy|limp", "no wet ...2 nappy|nappies|diaper|diapers", "sunken", "soft spot ...3 bulging|sunken", "=bulging", "=grunting",
		"lips ...3 dusky|blue|grey", "high pitched", "yellow grey|gray", "=whimpering", "no tears", "=fontanelle", "not waking", "hard to wake",
	}},
	{"fr", "baby_sign", 0, "", []string{
		"veut pas boire",

		"tete ...2 moins", "boit moins", "mange moins",
		"boit plus", "mange plus", "tout molle|mou", "=molle", "couche mouillee", "fontanelle", "geint", "cri aigu", "dort tout le temps", "yeux creux", "pas de larmes"}},
	{"en", "abdomen", 0, "", []string{
		"through to his|her|my back", "=aneurysm", "bent at a weird angle", "bone poking",

		"erection ...4 hours", "holding his|her belly|stomach", "missed ...2 dialysis",

		"no baby movement", "not felt the baby", "poking through", "able to pee|urinate",

		"will not walk on", "=limp|limping", "screams when i touch", "tearing ...3 back|chest",

		"can not pee|urinate", "=bladder", "shoulder tip", "one side ...3 pain|sharp", "handlebars", "hit ...2 belly|stomach|tummy", "bone ...2 showing|sticking", "bent the wrong way", "=zapped|electrocuted", "electric shock",

		"boiling|scalding ...6 arm|chest|leg|skin", "skin ...3 peeling|coming_off", "can not pass ...2 water|urine", "=agony|agonising|agonizing",

		"white and leathery", "=leathery", "leg looks shorter", "turned outwards", "can not stand", "can not get up",

		"belly|stomach|abdomen|tummy ...4 hard|rigid|board", "agoni*|severe|sudden ...3 pain ...3 belly|stomach|abdomen|testicle|testicles", "testicle|testicles", "bottom right ...4 pain|hurts", "can not feel ...2 legs|feet",
		"calf ...4 swollen|painful ...10 breath|breathe|breathing", "skin ...3 white|leathery|charred", "can not stand straight",
	}},
	{"fr", "abdomen", 0, "", []string{
		"ne sent plus ses jambes",

		"erection ...4 heures", "peux plus uriner",

		"fesses engourdies", "arrive pas a faire pipi", "en bas a droite", "plie|pliee en deux",

		"boite d un coup", "touche a sa jambe", "dechire|dechirant|dechirante",

		"eau bouillante", "la peau part", "bouger les jambes", "sans m en rendre compte", "os ...2 sort|depasse",

		"peau ...2 decolle", "friteuse", "huile ...4 bras|cou|jambe",

		"tournee vers l exterieur", "peut pas se relever", "sens plus mes jambes", "arrive pas a uriner",
		"ventre ...3 dur|bois", "douleur ...3 ventre|testicule", "testicule", "sent plus ses|mes jambes", "mollet ...4 enfle|gonfle"}},
	{"en", "acute", 0, "", []string{
		"=10 =10", "=sweating_buckets",

		"=bother|nuisance|fuss", "waste anyone", "should i wait|book", "ok to wait", "and wait", "wait for|until ...3 gp|doctor|monday|tomorrow|optometrist|morning", "=woke|waking", "=dribbling",

		"=today",

		"suddenly", "sudden", "out of nowhere", "just now", "right now", "=now", "started|began ...3 ago", "=ago", "last ...2 hour|half_hour|minutes", "since ...2 lunch|breakfast|morning|this|an_hour",
		"going on|for ...3 min|mins|minutes|hour|hours", "=minutes|mins|min", "getting worse|worse", "=worsening", "10/10", "=agoni*|excruciating|terrible|unbearable", "will not stop", "not stopping", "=tonight",
		"=3am|2am|4am|1am", "=overnight", "=panicking", "=help", "=ambulance|911|999|112", "still ...2 bleeding|seizing|shaking|dropping|going|not|can|rising|climbing",
	}},
	{"en", "young_baby", 0, "", []string{"newborn", "=1|2|one|two month|months old", "=1|2|3|4|5|6|7|8|9|10|11 week|weeks old", "=1|2|3|4|5|6|7|8|9|10|11|12 weeks", "=days old"}},
	{"fr", "young_baby", 0, "", []string{"nouveau ne", "=1|2|un|deux mois", "=1|2|3|4|5|6|7|8|9|10|11 semaines", "jours de vie"}},
	{"en", "low_sugar", 0, "", []string{
		"not coming up", "glucose tabs ...4 not|still",
		"says|reads|shows =lo", "meter|cgm|dexcom|libre ...3 =lo"}},
	{"fr", "low_sugar", 0, "", []string{"affiche =lo", "lecteur|capteur ...3 =lo"}},
	{"fr", "acute", 0, "", []string{
		"en train de", "a flot",

		"=deranger", "attends|attendre ...2 lundi|demain", "je rentre me coucher", "=la_je|la_il|la_elle|la_on", "pour l instant",

		"=soudain*", "d un coup", "tout d un coup", "en ce moment", "depuis ...2 minutes|min|heure|heures|ce_matin|hier|ce_soir|midi|1h|2h|3h|4h|30", "=maintenant", "il y a ...2 min|minutes|heure", "ca empire", "empire", "=atroce|terrible|insupportable", "arrete pas", "=ce_soir|cette_nuit",
		"=minutes|min", "=urgence|urgences|911|15|112|samu", "=encore",
	}},
}

// Urgent combinations.
var urgentCombos = []combo{
	{"cardiac", "cardiac", LevelHigh, uChest, []int{uChest}, []int{uAutonomic, uAcute, uBreath}},
	{"stroke", "stroke", LevelHigh, uNeuro, []int{uNeuro}, []int{-uNeuro, uAcute}},
	{"anaphylaxis", "breathing_anaphylaxis", LevelHigh, uSwell, []int{uSwell}, []int{uAllergen, uBreath}},
	{"breathing", "breathing_anaphylaxis", LevelHigh, uBreath, []int{uBreath}, []int{uAcute, uAllergen, uSwell, -uBreath}},
	{"bleeding", "bleeding", LevelHigh, uBleed, []int{uBleed}, []int{uThinner, uAcute, uAutonomic}},
	{"head.thinners", "bleeding", LevelHigh, uHeadHit, []int{uHeadHit}, []int{uThinner, uDrowsy}},
	{"ketones", "glycaemic", LevelHigh, uKetones, []int{uKetones}, []int{uDrowsy, uBreath, uAutonomic}},
	{"low", "glycaemic", LevelHigh, uLowSugar, []int{uLowSugar}, []int{uDrowsy, uAutonomic, uNeuro, uAcute}},
	{"diabetic.confused", "glycaemic", LevelHigh, uDiabetes, []int{uDiabetes, uDrowsy}, nil},
	{"sepsis", "sepsis_chemo_fever", LevelHigh, uFever, []int{uFever}, []int{uImmuno, uMottled, uDrowsy}},
	{"mottled", "sepsis_chemo_fever", LevelHigh, uMottled, []int{uMottled}, []int{uDrowsy, uBreath, uFever, uBaby}},
	{"neck", "meningitis", LevelHigh, uNeck, []int{uNeck}, []int{uFever, uDrowsy, uHeadache}},
	{"seizure", "seizure", LevelHigh, uSeizure, []int{uSeizure}, []int{uSeizureBad, uDrowsy, uBreath, uThinner}},
	{"poison", "poisoning_overdose", LevelHigh, uPoison, []int{uPoison}, nil},
	{"vision", "vision_headache", LevelHigh, uVision, []int{uVision}, nil},
	{"headache", "vision_headache", LevelHigh, uHeadache, []int{uHeadache}, nil},
	{"baby", "child_red_flags", LevelHigh, uBabySign, []int{uBabySign, uBaby}, nil},
	{"baby.fever", "child_red_flags", LevelHigh, uFever, []int{uFever, uBaby}, []int{uBabySign, uDrowsy}},
	{"young.fever", "child_red_flags", LevelHigh, uFever, []int{uFever, uYoungBaby}, nil},
	{"pregnant.headache", "vision_headache", LevelHigh, uHeadache, []int{uHeadache}, []int{uThinner}},
	{"pregnant.vision", "vision_headache", LevelHigh, uThinner, []int{uThinner}, []int{uVision}},
	{"abdomen", "other_emergency", LevelHigh, uAbdomen, []int{uAbdomen}, []int{uAcute, uDrowsy, uFever, uBreath, uHeadHit, uThinner, uAutonomic}},
}

var urgentSignals = func() *signalSystem {
	sys := newSignalSystem(DetectorUrgent, setUrgentSignals, urgentSignalNames, urgentCombos)
	sys.keep = func(v *view, c int, h hit) bool {
		return c == uAcute || !v.negatedNear(h)
	}
	sys.context = func(v *view, h hit, cb combo, window [2]int) (Level, string, bool) {
		return v.urgentContext(h, window)
	}
	sys.extra = func(v *view) []hit { return append(feverValues(v), lowSugarValues(v)...) }
	sys.quiet = map[int]bool{uAcute: true}
	return sys
}()

var feverRule = &rule{id: "usignal.fever.value", lang: "en", category: "fever"}

// feverValues reads temperatures: 38 to 43 (°C) or 100.4 to 108 (°F)
// next to a word of temperature, or written with a degree sign.
func feverValues(v *view) []hit {
	var out []hit
	for si, sr := range v.sentences() {
		for i := sr[0]; i < sr[1]; i++ {
			t := v.toks[i]
			word := t.word
			if !t.num {
				// "101.5F", "38.9c": a number with its unit glued on.
				if n := len(word); n > 1 && (word[n-1] == 'f' || word[n-1] == 'c') && isDigitByte(word[0]) {
					word = word[:n-1]
				} else {
					continue
				}
			}
			x, err := strconv.ParseFloat(word, 64)
			if err != nil || !((x >= 38 && x <= 43) || (x >= 100.4 && x <= 108)) {
				continue
			}
			after := v.text[t.end:min(len(v.text), t.end+4)]
			_, named := v.any(tempWords, "", max(sr[0], i-4), min(sr[1], i+3))
			if named || startsWithAny(after, "°", "c ", "f ", "c,", "f,", "c.", "f.", "F", "C") || (t.end == len(v.text)-1 && (v.text[t.end] == 'c' || v.text[t.end] == 'f')) {
				out = append(out, hit{r: feverRule, from: i, to: i + 1, sentence: sr, sentenceID: si})
			}
		}
	}
	return out
}

var tempWords *wordSet

func startsWithAny(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if len(s) >= len(p) && s[:len(p)] == p {
			return true
		}
	}
	return false
}

// urgentContext weighs a combination's anchor as the phrase rules do:
// education, a general question, settled since, the past, an idiom.
func (v *view) urgentContext(h hit, window [2]int) (Level, string, bool) {
	lang := h.r.lang
	edu, settled, idioms, past, now := educationEN, settledEN, idiomUrgentEN, pastUrgentEN, nowUrgentEN
	if lang == "fr" {
		edu, settled, idioms, past, now = educationFR, settledFR, idiomUrgentFR, pastUrgentFR, nowUrgentFR
	}
	wide := h
	wide.sentence = window
	_, isNow := v.any(now, lang, window[0], window[1])
	if !isNow {
		_, isNow = v.any(acuteNow, lang, window[0], window[1])
	}
	_, recent := v.any(recentWords, lang, window[0], window[1])
	if !recent {
		// "chemo last week, fever 39": the past names the cause, not
		// the sign.
		recent = v.sentenceHas(wide, causeAgo)
	}
	recent = recent || isNow
	switch {
	case v.overlapsPattern(h, idioms) || v.sentenceHas(h, idioms):
		return LevelNone, "", true
	case v.textHas(lang, awareness):
		return LevelLow, "awareness or a question about signs", false
	case v.sentenceHas(wide, edu) && !isNow:
		return LevelLow, "a question about signs", false
	case v.generalQuestion(h) && !isNow:
		return LevelLow, "a question about signs", false
	case v.textHas(lang, settledNow) || v.textHas(lang, settled):
		return LevelLow, "settled since", false
	case v.pastYear(window) && !recent:
		return LevelLow, "in the past", false
	case v.sentenceHas(wide, past) && !recent:
		return LevelLow, "in the past", false
	case v.sentenceHas(h, habitual) && !isNow:
		return LevelLow, "a usual pattern", false
	}
	return LevelHigh, "", false
}

// acuteNow: words that put a sign in the present whatever else the
// sentence says ("my heart attack three years ago started exactly like
// this… 25 minutes now").
var acuteNow *wordSet

// pastYear: a year before this one is named ("in 2018", "date de 2019").
func (v *view) pastYear(window [2]int) bool {
	for i := window[0]; i < window[1]; i++ {
		if t := v.toks[i]; t.num && len(t.word) == 4 {
			if y, err := strconv.Atoi(t.word); err == nil && y >= 1940 && y <= 2100 {
				return true
			}
		}
	}
	return false
}

var (
	// habitual: "when I'm anxious", "whenever I climb stairs".
	habitual []pattern
)

// settledNow: over and fine, said with a "now" that does not make it
// current.
var settledNow []pattern

// recentWords: it is happening now or has just happened, whatever else
// the sentence says ("I just had a fit", "since 4am", "won't stop").
var recentWords *wordSet

// awareness: the whole text is a reminder or a campaign.
var awareness []pattern

// negatedNear: "no fever", "pas de fièvre", "without pain" right before
// the sign.
func (v *view) negatedNear(h hit) bool {
	for i := max(h.sentence[0], h.from-3); i < h.to; i++ {
		switch v.toks[i].word {
		case "no", "without", "pas", "sans", "aucun", "aucune", "zero":
			// Before the sign, or inside it before a symptom ("chemo,
			// no fever"); not "no glucagon in the house".
			if i < h.from || (i+1 < len(v.toks) && symptomWords[v.toks[i+1].word]) {
				return true
			}
		case "not":
			// "not bleeding anywhere else"; not "can't breathe".
			if i+1 < len(v.toks) && symptomWords[v.toks[i+1].word] {
				return true
			}
		}
	}
	return false
}

var symptomWords = set("fever", "temp", "temperature", "pain", "bleeding", "blood", "rash", "spots", "symptoms", "fievre", "de", "douleur", "saignement", "saignements", "sang", "d")

func appendPatterns(a, b []pattern) []pattern { return append(a, b...) }

var lowSugarRule = &rule{id: "usignal.low_sugar.value", lang: "en", category: "low_sugar"}

// lowSugarValues reads a dangerous glucose reading named as such: under
// 2.8 mmol/L or 0.5 g/L, or 20 to 50 mg/dL.
func lowSugarValues(v *view) []hit {
	var out []hit
	for si, sr := range v.sentences() {
		g := v.glucoseAt(si)
		if g < 0 {
			continue
		}
		for i := max(sr[0], g-4); i < min(sr[1], g+6); i++ {
			if !v.toks[i].num {
				continue
			}
			if x, err := strconv.ParseFloat(v.toks[i].word, 64); err == nil && ((x > 0 && x < 2.8) || (x >= 20 && x <= 50)) {
				out = append(out, hit{r: lowSugarRule, from: i, to: i + 1, sentence: sr, sentenceID: si})
				break
			}
		}
	}
	return out
}

var causeAgo []pattern

// urgentSignalSets compiles this file's pattern and word sets (see compileSets).
func urgentSignalSets() {
	tempWords = words("en", "=temp", "temperature", "fever", "=degrees", "=thermometer", "=rectal", "=spiked").merge(words("fr", "fievre", "=temperature", "=degres", "=thermometre", "=de_fievre"))
	acuteNow = words("en", "right_now", "=minutes", "=mins", "=min", "tonight", "=currently", "=suddenly").merge(
		words("fr", "maintenant", "=minutes", "=min", "=soir", "actuellement", "=soudain"))
	habitual = append(patterns("en", "=when|whenever|every_time ...3 anxious|stressed|exercise|exercising|run|running|climb|climbing|nervous|panic|panicking|cold|walk|walking|think", "as usual", "=whenever", "always does", "symptom diary", "=anxiety|stress|exam|exams", "=typical|typically", "action plan", "our plan", "usual angina|aura|seizure|seizures|pattern|migraine"),
		patterns("fr", "=quand|chaque_fois ...3 stresse|stressee|anxieux|anxieuse|cours|monte|marche", "comme d habitude", "ca passe", "=stress|examens|oral|anxiete")...)
	settledNow = append(patterns("en", "=is|am|are|s|feel|feels|feeling|looks|seems ...1 fine|ok|okay|good|stable|normal|better|well now", "home now"), patterns("fr", "bien|mieux|correct maintenant", "va bien maintenant")...)
	recentWords = words("en", "=just_now|just_had|just_took|just_started|just_collapsed|just_fell|just_happened|just_went|just_threw", "right_now", "=minutes", "=mins", "=min", "tonight", "this_morning", "this_afternoon", "this_evening", "=since_4am|since_3am|since_5am|since_midnight|since_breakfast|since_lunch|since_dinner",
		"=currently", "=suddenly", "not_stopping", "will_not_stop", "going_on", "for_the_last", "days_after", "day_after", "=overnight", "hour_ago", "hours_ago", "an_hour",
		"and_now", "=now_vomiting", "=started", "=bother|nuisance|fuss", "ok_to_wait", "should_i_wait", "=woke").merge(
		words("fr", "=vient", "=viens", "=ce_soir", "=ce_matin", "=cette_nuit", "depuis_ce_matin", "depuis_hier", "depuis_une", "depuis_1h", "depuis_2h", "une_heure", "=soudain", "=soudainement", "et_la", "=d_un_coup", "=la_je|la_il|la_elle|la_on", "=deranger", "refait", "peut_plus", "peux_plus", "arrive_plus", "arrete_pas", "=3h|4h|5h|6h"))
	awareness = appendPatterns(patterns("en", "=psa", "passing it on", "could save a life", "grab one", "need to be seen", "=cpr_class|cpr_course|cpr_training", "what are the signs", "please share", "=reminder", "purple day", "detectors save", "is it true", "if a|an|the ...3 lasts", "status epilepticus", "keep reading|i_read|reading_that|read_that", "rather than"),
		patterns("fr", "=rappel", "partagez", "journee mondiale", "c est quoi les signes", "apprenez", "ayez toujours", "=si ...3 dure", "est ce vrai", "faut il appeler"))
	causeAgo = append(patterns("en", "chemo|chemotherapy|surgery|operation|extraction|biopsy|procedure|stent|op|delivery|birth|transplant|line|port ...4 last_week|ago|yesterday|days_ago"),
		patterns("fr", "chimio|operation|extraction|biopsie|accouchement|intervention|opere|operee|greffe ...4 il_y_a|hier|la_semaine_derniere|y_a")...)
}
