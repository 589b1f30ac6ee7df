package main

// Demo content written for Kindred: people and conversations invented to
// show what the product is for. None of it is medical advice.

type demoForum struct {
	Slug, Name, Description, Guidelines string
	Sensitive, ClinicianOnly            bool
	Specialties                         []string
}

var demoForums = []demoForum{
	{"type-1-diabetes", "Type 1 diabetes", "Living with type 1: pumps, sensors, carb counting and everything in between.",
		"Be kind. Share what works for you, and remember it may not work for everyone.\n\n- No dosing advice for someone else: talk to your diabetes team.\n- No selling or promoting products.", false, false, []string{"endocrinology"}},
	{"type-2-diabetes", "Type 2 diabetes", "Diagnosis, food, medication, exercise and the ups and downs of managing type 2.",
		"Everyone's journey is different. Please do not judge what other people eat or how they manage.", false, false, []string{"endocrinology", "dietetics"}},
	{"heart-health", "Heart health", "Heart conditions, cardiac rehab, blood pressure and recovery after a heart event.",
		"If you have chest pain right now, call your emergency number before you post.", false, false, []string{"cardiology"}},
	{"allergies-asthma", "Allergies and asthma", "Inhalers, triggers, food allergies, and keeping children safe at school.",
		"Share your experience; an action plan from your own clinician comes first.", false, false, []string{"allergy", "respiratory"}},
	{"mental-health", "Mental health", "A members-only space to talk about anxiety, depression, and getting through hard days.",
		"This forum is for signed-in members only and never appears in search engines. You may post anonymously.\n\nIf you are thinking about harming yourself, please contact your local emergency number or a crisis line now.", true, false, []string{"psychiatry", "psychology"}},
	{"sexual-health", "Sexual health", "A private, members-only place for questions people find hard to ask out loud.",
		"Members only, hidden from search engines, anonymous posting allowed. Be respectful; no explicit images.", true, false, []string{"sexual health"}},
	{"caregivers", "Caregivers", "For the people who look after someone: partners, parents, children and friends.",
		"Caring is hard work. Venting is welcome here.", false, false, nil},
	{"healthy-ageing", "Healthy ageing", "Staying active, sleeping well and keeping connected as we get older.",
		"", false, false, []string{"geriatrics"}},
	{"clinician-lounge", "Clinician lounge", "A professional space for verified clinicians to ask each other for advice.",
		"Never post anything that could identify a patient.", false, true, nil},
}

type demoReply struct {
	Author, Body string
	Anonymous    bool
}

type demoThread struct {
	Forum, Author, Title, Body string
	Anonymous                  bool
	Replies                    []demoReply
}

var demoThreads = []demoThread{
	{"type-1-diabetes", "maya_t1d", "First week on a sensor: the beeping at night", "I finally got a continuous glucose sensor after ten years of finger pricks. It's wonderful, but the low alarms keep waking my partner at 3 am. Did anyone find settings that keep you safe without the constant alarms?",
		false, []demoReply{
			{"ben_breathes", "The first weeks were the same for me. My nurse helped me change the low alert to a slightly lower number at night. Worth asking your team what they're comfortable with.", false},
			{"sam_cares", "My daughter's sensor sits on her arm and she sleeps on it, which causes false lows. Moving it to the other arm helped a lot.", false},
			{"maya_t1d", "Thank you both! I had no idea lying on it could do that. I'll ask about the night settings at my clinic appointment next week.", false},
		}},
	{"type-1-diabetes", "grey_owl", "Forty years with type 1 and still learning", "I was diagnosed when insulin came in glass syringes you boiled on the stove. Happy to answer questions from anyone newly diagnosed. It gets easier, I promise.",
		false, []demoReply{
			{"maya_t1d", "This made my day. What's the one thing you wish you'd known at the start?", false},
			{"grey_owl", "That a bad number is information, not a grade. You'll have thousands of numbers. None of them is a verdict on you.", false},
		}},
	{"type-1-diabetes", "sam_cares", "School trip and a pump: what to pack?", "My 11-year-old is going on her first overnight school trip. We have a list, but I'm sure we're missing things. What do you pack for pump users?",
		false, []demoReply{
			{"ben_breathes", "Spare infusion sets (two more than you think), insulin pens as a backup in case the pump fails, fast sugar in every bag, and a written plan for the teachers.", false},
			{"maya_t1d", "A copy of the pump settings on paper! If it resets you'll be glad of it.", false},
		}},
	{"type-1-diabetes", "ben_breathes", "Exercise lows after swimming", "I drop low about two hours after swimming, even with a snack first. Has anyone found a pattern?",
		false, []demoReply{
			{"grey_owl", "Delayed lows after exercise are common. I keep a small snack by the bed on swimming days and check before sleep.", false},
			{"nurse_rosa", "Speaking as a diabetes nurse: lows several hours after exercise are well known, because muscles keep refilling their stores. It is worth keeping a log of swim days and bringing it to your team, who can suggest changes to your own doses. Please don't change insulin based on a forum post, including mine.", false},
		}},
	{"type-2-diabetes", "tom_t2", "Just diagnosed and a bit overwhelmed", "Got my diagnosis last Tuesday. The doctor was kind but it was a lot of information in ten minutes. Where did you all start?",
		false, []demoReply{
			{"amira_heart", "Start small. I changed one meal a week and joined a walking group. The education course my GP referred me to was genuinely useful too.", false},
			{"lena_cares", "My dad was in the same spot last year. Writing questions down before appointments helped him a lot.", false},
			{"tom_t2", "Thanks. I didn't know there were courses. I'll ask.", false},
			{"nurse_rosa", "Feeling overwhelmed at first is very common. Most areas run structured education courses for people newly diagnosed with type 2; ask your practice for a referral. Bring a notebook to appointments and ask for a copy of your results so you can see change over time.", false},
		}},
	{"type-2-diabetes", "amira_heart", "Breakfast ideas that don't spike me", "Porridge used to be my go-to but it sends me high. What do you eat in the morning?",
		false, []demoReply{
			{"tom_t2", "Eggs with spinach, or Greek yoghurt with berries and nuts. Everyone's different, so test and see.", false},
			{"grey_owl", "I still have porridge but a smaller bowl with nuts and seeds mixed in. Works for me.", false},
		}},
	{"type-2-diabetes", "tom_t2", "Three months of walking after dinner", "Small win: a 20-minute walk after dinner most nights and my numbers are clearly better. My dog is thrilled.",
		false, []demoReply{
			{"amira_heart", "That's brilliant. Give the dog a pat from us.", false},
		}},
	{"heart-health", "amira_heart", "Cardiac rehab: is it worth it?", "I've been offered a place on a cardiac rehab programme after my stent. Twice a week for eight weeks. Part of me just wants to get back to normal. Did rehab help you?",
		false, []demoReply{
			{"grey_owl", "It was the best thing I did after my bypass. The exercise helped, but meeting others in the same boat helped more.", false},
			{"lena_cares", "My mum went and it gave her confidence to exercise again without being scared.", false},
			{"amira_heart", "OK, you've convinced me. Starting on Monday.", false},
		}},
	{"heart-health", "grey_owl", "Blood pressure readings all over the place", "Home readings vary by 20 points within an hour. Is that normal, or is my machine broken?",
		false, []demoReply{
			{"amira_heart", "Mine does that if I don't sit quietly for five minutes first, feet flat, arm at heart level. Taking two readings and averaging helped.", false},
			{"dr_okafor", "Some variation is normal: blood pressure changes from minute to minute. What amira describes is good practice. Use a validated cuff of the right size, rest first, and take readings at the same times each day. If you are worried about the machine, take it to your next appointment and compare it with the clinic's.", false},
		}},
	{"heart-health", "lena_cares", "Living with AF: what helps with the anxiety?", "My partner was diagnosed with atrial fibrillation. Every flutter now feels like an emergency to both of us. How do you live with it day to day?",
		false, []demoReply{
			{"grey_owl", "Having a clear written plan from the cardiology team about what to do and when to call for help took a lot of fear out of it for us.", false},
		}},
	{"allergies-asthma", "ben_breathes", "Spacers: do adults really need one?", "My nurse suggested a spacer for my inhaler. I thought they were for children. Do you use one?",
		false, []demoReply{
			{"sam_cares", "I do! More of the medicine gets into the lungs instead of the back of your throat. Took a while to stop feeling silly.", false},
			{"grey_owl", "Used one for years. Nobody notices, and my asthma is better controlled.", false},
		}},
	{"allergies-asthma", "sam_cares", "Nut allergy and birthday parties", "My son has a severe peanut allergy and has been invited to three parties this month. How do you handle it without making him feel left out?",
		false, []demoReply{
			{"lena_cares", "We always bring a safe treat he loves, and talk to the host beforehand. Most parents have been lovely about it.", false},
			{"ben_breathes", "As an adult with a nut allergy: the parties where my mum quietly sorted things out were the ones I remember happily.", false},
		}},
	{"allergies-asthma", "quiet_heart", "Hay fever season is here", "Pollen count is through the roof this week. What's working for you?",
		false, []demoReply{
			{"ben_breathes", "Shower and change clothes when I get home, windows shut in the early evening. Boring but it helps.", false},
		}},
	{"mental-health", "quiet_heart", "Some days getting out of bed is the whole achievement", "I don't have a question. I just wanted to say it somewhere people might understand. Today I got up, had a shower and ate something. That's it.",
		true, []demoReply{
			{"maya_t1d", "That's not nothing. Those are real things, and you did them. Thank you for sharing.", false},
			{"lena_cares", "Some days that's a lot. Be gentle with yourself.", true},
			{"quiet_heart", "Thank you. It helps more than you'd think to read that.", true},
		}},
	{"mental-health", "tom_t2", "Anxiety before medical appointments", "I get so anxious before appointments that I forget everything I wanted to ask. Any tricks?",
		false, []demoReply{
			{"amira_heart", "I write three questions on my phone and show the screen to the doctor at the start. It takes the pressure off.", false},
			{"quiet_heart", "Bringing someone with me helps, even if they just sit there.", true},
		}},
	{"mental-health", "lena_cares", "Talking therapy waiting lists", "Been on a waiting list for four months. Is there anything that helped you while you waited?",
		true, []demoReply{
			{"grey_owl", "My GP pointed me to a free online course while I waited. It wasn't the same as therapy but it gave me some tools.", false},
		}},
	{"sexual-health", "ben_breathes", "How do you bring up testing with a new partner?", "It feels awkward every time. How do you start that conversation without it sounding like an accusation?",
		true, []demoReply{
			{"sam_cares", "I frame it as something I do for myself and offer to go together. Most people are relieved someone said it first.", true},
			{"quiet_heart", "Saying 'I got tested last month, it's just what I do' made it normal for us.", true},
		}},
	{"sexual-health", "amira_heart", "Heart medication and intimacy", "Since starting my heart medication things have changed in the bedroom. It's embarrassing to ask my cardiologist. Has anyone else had this?",
		true, []demoReply{
			{"grey_owl", "You're not alone, and it's worth raising. Mine had a different option once I asked. They've heard it all before.", true},
		}},
	{"caregivers", "lena_cares", "Caring for Dad with dementia: the guilt", "I work full time and care for my dad in the evenings. I feel guilty when I'm at work and guilty when I'm tired with him. Does it ever ease?",
		false, []demoReply{
			{"sam_cares", "The guilt is a sign of how much you care. A carers' group near me helped me see I'm allowed to need rest too.", false},
			{"grey_owl", "Ask about respite care. Taking a weekend off made me a better carer, not a worse one.", false},
			{"lena_cares", "I didn't know respite was an option. Looking into it now. Thank you.", false},
		}},
	{"caregivers", "sam_cares", "Apps for tracking medicines for someone else", "I manage medicines for my daughter and my mother. Paper charts are getting messy. What do you use?",
		false, []demoReply{
			{"lena_cares", "We use a shared calendar with reminders, plus the pharmacist's printed list on the fridge.", false},
		}},
	{"caregivers", "grey_owl", "What I wish someone had told me when I became a carer", "Ten years of caring for my wife. A few things I learned the hard way: accept help when it's offered, keep one hobby that's only yours, and write down every question for the doctors.",
		false, []demoReply{
			{"lena_cares", "Saving this. Thank you.", false},
			{"amira_heart", "The hobby one is so true.", false},
		}},
	{"healthy-ageing", "grey_owl", "Balance exercises that actually help", "After a fall last winter I started balance exercises. Standing on one leg while the kettle boils is my favourite. Anyone else?",
		false, []demoReply{
			{"amira_heart", "Tai chi class on Thursdays. I was sceptical but my balance is much better.", false},
			{"quiet_heart", "Heel-to-toe walking along the hallway every morning.", false},
		}},
	{"healthy-ageing", "amira_heart", "Sleeping badly since turning 60", "I wake at 4 am every day. Is this just age?",
		false, []demoReply{
			{"grey_owl", "Same here. Less caffeine after lunch and getting daylight in the morning helped me. Worth mentioning to your GP if it goes on.", false},
		}},
	{"healthy-ageing", "quiet_heart", "Staying connected when friends move away", "Most of my friends have moved closer to their grandchildren. How do you keep a social life going?",
		false, []demoReply{
			{"grey_owl", "I volunteer at the library twice a week. Best decision I made.", false},
			{"lena_cares", "My dad loves his weekly video call with his old work friends. It took some setting up but it's a highlight.", false},
		}},
	{"type-2-diabetes", "grey_owl", "Foot checks: how often do you look?", "My nurse reminded me to check my feet every day. I confess I forget. Does anyone have a routine that sticks?",
		false, []demoReply{
			{"tom_t2", "I do it when I put my socks on in the morning. A cheap mirror on the floor helps me see the soles.", false},
			{"amira_heart", "Same, socks-on check. It takes ten seconds once it's a habit.", false},
		}},
	{"type-2-diabetes", "lena_cares", "Supporting a parent who won't change their diet", "Dad was diagnosed with type 2 and says he's too old to change how he eats. How do I help without nagging?",
		false, []demoReply{
			{"grey_owl", "Speaking as the stubborn old man in our family: being told off made me dig in. Being invited to cook together worked.", false},
			{"tom_t2", "Maybe one swap at a time that he chooses himself?", false},
		}},
	{"heart-health", "tom_t2", "Getting back to exercise after a heart attack", "Six weeks out and scared to push myself. How did you know what was safe?",
		false, []demoReply{
			{"amira_heart", "The rehab team gave me a heart-rate range and a scale of how breathless I should feel. It made it less guesswork.", false},
			{"grey_owl", "Walking first, then a bit further each week. Slow and boring, and it worked.", false},
			{"dr_okafor", "Being nervous after a heart attack is entirely understandable. Cardiac rehabilitation exists for exactly this question: the team assesses you and gives you limits that fit your heart. If you haven't been offered it, ask your cardiology team or GP.", false},
		}},
	{"allergies-asthma", "lena_cares", "Explaining an EpiPen to grandparents", "The grandparents are babysitting for the first time. How do you make sure they'll feel confident using the auto-injector?",
		false, []demoReply{
			{"sam_cares", "We practised with a trainer pen together, and left a one-page plan on the fridge with photos.", false},
		}},
	{"mental-health", "maya_t1d", "Diabetes burnout is real", "Some weeks I'm just tired of thinking about numbers all day. Does anyone else get this, and what helps?",
		false, []demoReply{
			{"grey_owl", "Forty years in and yes. I let myself have a 'good enough' week sometimes, and I told my team honestly.", false},
			{"ben_breathes", "Talking to other type 1s helped me more than anything. That's partly why I'm here.", false},
			{"quiet_heart", "Sending you good thoughts. Burnout isn't failure.", true},
		}},
	{"caregivers", "amira_heart", "Looking after someone while recovering yourself", "I'm recovering from my own heart procedure and also caring for my husband who has Parkinson's. Has anyone juggled both?",
		false, []demoReply{
			{"lena_cares", "That's a lot to carry. Could a neighbour or friend take one regular task off your plate?", false},
			{"grey_owl", "Ask your GP about a carer's assessment. It opened doors I didn't know existed.", false},
		}},
	{"healthy-ageing", "tom_t2", "Learning something new at 65", "I signed up for a beginners' guitar class. My fingers hurt and I love it. What new things have you picked up later in life?",
		false, []demoReply{
			{"quiet_heart", "Watercolour painting. Terrible at it and very happy.", false},
			{"amira_heart", "Learning Spanish with an app on the bus.", false},
		}},
	{"sexual-health", "quiet_heart", "Menopause and feeling like a stranger in my body", "Nobody warned me how much would change. Is there anything that helped you feel more like yourself again?",
		true, []demoReply{
			{"amira_heart", "Talking to a doctor who specialised in menopause made a huge difference. The first one I saw just shrugged.", true},
		}},
	{"clinician-lounge", "demo_moderator", "Rural practice: managing a new type 1 diagnosis without a local team", "Demo thread for the clinician lounge: how do colleagues in remote practices coordinate with a distant specialist team for newly diagnosed type 1 patients?",
		false, []demoReply{
			{"demo_admin", "Scheduled video reviews in the first fortnight and a direct phone line for the practice nurse made the difference in our area.", false},
			{"nurse_rosa", "From the specialist side: a shared sick-day plan written with the family, and one named contact at our clinic, cut down the emergency admissions we saw from outlying practices.", false},
			{"dr_okafor", "Agree with both. We also send a one-page summary after every remote review so the local team isn't guessing.", false},
		}},
}

// demoReactions gives some posts a few reactions: thread index, post index
// (0 is the opening post), reacting handles, kind.
var demoReactions = []struct {
	Thread, Post int
	By           []string
	Kind         string
}{
	{0, 0, []string{"ben_breathes", "sam_cares", "grey_owl"}, "support"},
	{1, 2, []string{"maya_t1d", "sam_cares", "tom_t2", "amira_heart"}, "helpful"},
	{4, 0, []string{"amira_heart", "lena_cares", "grey_owl"}, "hug"},
	{7, 1, []string{"amira_heart", "lena_cares"}, "helpful"},
	{13, 0, []string{"maya_t1d", "lena_cares", "tom_t2", "grey_owl"}, "hug"},
	{13, 0, []string{"sam_cares", "amira_heart"}, "me_too"},
	{18, 0, []string{"sam_cares", "grey_owl", "amira_heart"}, "support"},
	{18, 2, []string{"grey_owl"}, "helpful"},
	{20, 0, []string{"lena_cares", "amira_heart", "quiet_heart"}, "helpful"},
}

// demoMembership: who joined which forums.
var demoMembership = map[string][]string{
	"maya_t1d":     {"type-1-diabetes", "mental-health"},
	"sam_cares":    {"type-1-diabetes", "allergies-asthma", "caregivers"},
	"ben_breathes": {"type-1-diabetes", "allergies-asthma"},
	"grey_owl":     {"type-1-diabetes", "heart-health", "caregivers", "healthy-ageing"},
	"tom_t2":       {"type-2-diabetes", "mental-health"},
	"amira_heart":  {"heart-health", "type-2-diabetes", "healthy-ageing"},
	"lena_cares":   {"caregivers", "heart-health"},
	"quiet_heart":  {"mental-health", "healthy-ageing"},
}

// demoTags are the tags some demo threads carry, by title.
var demoTags = map[string][]string{
	"First week on a sensor: the beeping at night":  {"cgm", "alarms", "sleep"},
	"School trip and a pump: what to pack?":         {"insulin-pump", "school"},
	"Exercise lows after swimming":                  {"exercise", "hypos"},
	"Just diagnosed and a bit overwhelmed":          {"new-diagnosis"},
	"Breakfast ideas that don't spike me":           {"food", "blood-sugar"},
	"Three months of walking after dinner":          {"exercise", "blood-sugar"},
	"Cardiac rehab: is it worth it?":                {"cardiac-rehab", "exercise"},
	"Blood pressure readings all over the place":    {"blood-pressure"},
	"Living with AF: what helps with the anxiety?":  {"atrial-fibrillation", "anxiety"},
	"Spacers: do adults really need one?":           {"inhalers"},
	"Anxiety before medical appointments":           {"anxiety", "appointments"},
	"Caring for Dad with dementia: the guilt":       {"dementia", "guilt"},
	"Sleeping badly since turning 60":               {"sleep"},
	"Getting back to exercise after a heart attack": {"cardiac-rehab", "exercise"},
	"Diabetes burnout is real":                      {"burnout", "type-1"},
}
