/**
 * The injection rules, in English: each one a general signal, not a list of known attack strings.
 * Most rules are a co-occurrence: an imperative verb aimed at the assistant near a target that only
 * the assistant has (its instructions, its system prompt, its tools, the user's data), so the same
 * rule catches "ignore the above directions" and "please disregard all prior guidance" while "ignore
 * the warning" or "the installation instructions above" stay clean. Others look at structure: chat
 * role markers and special tokens inside evidence, function-call JSON, text addressed to an AI.
 *
 * Rules read the scanning form (normalise.ts: lower-case, hidden characters gone, homoglyphs folded).
 * `scope` says where a rule applies: some signals are normal in a user's own message ("call
 * notes.save", "answer in French") and suspicious only inside evidence.
 *
 * Bump a rule's `version` whenever what it matches changes.
 */

export type RuleScope = "all" | "evidence";

export interface InjectionRule {
  id: string;
  version: string;
  weight: number;
  scope: RuleScope;
  /** Index of the first match in the scanning form, or -1. */
  find(text: string): number;
}

/** Text that may lie between two words of one clause. */
const GAP = (n: number) => `[^.!?\\n]{0,${n}}?`;

function phrase(id: string, version: string, weight: number, scope: RuleScope, source: string): InjectionRule {
  const re = new RegExp(source, "g");
  return {
    id,
    version,
    weight,
    scope,
    find(text) {
      re.lastIndex = 0;
      const m = re.exec(text);
      return m ? m.index : -1;
    },
  };
}

/**
 * `anchor` with `target` after it (within `after` characters) or before it (within `before`), in
 * one clause; optionally not when `unless` matches the text between them.
 */
function near(
  id: string,
  version: string,
  weight: number,
  scope: RuleScope,
  anchor: string,
  target: string,
  opts: { after: number; before?: number; unless?: RegExp; notBefore?: RegExp },
): InjectionRule {
  const anchorRe = new RegExp(anchor, "g");
  const afterRe = new RegExp(`^${GAP(opts.after)}(?:${target})`);
  const beforeRe = opts.before ? new RegExp(`(?:${target})${GAP(opts.before)}$`) : null;
  return {
    id,
    version,
    weight,
    scope,
    find(text) {
      anchorRe.lastIndex = 0;
      for (let m = anchorRe.exec(text); m; m = anchorRe.exec(text)) {
        const end = m.index + m[0].length;
        if (opts.notBefore && opts.notBefore.test(text.slice(Math.max(0, m.index - 40), m.index))) continue;
        const tail = text.slice(end, end + opts.after + 60);
        const hit = afterRe.exec(tail);
        if (hit && !(opts.unless && opts.unless.test(m[0] + hit[0]))) return m.index;
        if (beforeRe) {
          const head = text.slice(Math.max(0, m.index - opts.before! - 60), m.index);
          const back = beforeRe.exec(head);
          if (back && !(opts.unless && opts.unless.test(back[0]))) return m.index;
        }
        if (m[0].length === 0) anchorRe.lastIndex++;
      }
      return -1;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

const OVERRIDE_VERB =
  "\\b(?:ignor(?:e|es|ing)|disregard(?:s|ing)?|forget(?:ting)?|overrid(?:e|es|ing)|bypass(?:ing)?|skip|discard|abandon|neglect|overlook|dismiss|drop|erase|delete|wipe|clear|reset|suspend|circumvent|overwrite|nullify|cancel|void|revoke|scrap|ditch|throw (?:out|away)|set aside|put aside|leave behind|pay no (?:attention|heed|mind) to|stop (?:following|obeying|adhering to)|(?:do not|don'?t|no longer|never) (?:follow|obey|adhere to|comply with|listen to)|never ?mind)\\b(?![(\\w-])";

/** What the assistant was told: its instructions, rules, task, safety. */
const INSTRUCTION_NOUN =
  "(?:instructions?|rules?|guidelines?|guidance|directives?|directions?|prompts?|commands?|orders|context|tasks?|constraints?|restrictions?|programming|training|polic(?:y|ies)|guardrails?|filters?|safety|limitations?|limits|boundaries|principles|ethics|morals?|conditioning|protocols?|system prompt|persona)\\b";

/** Broad nouns: they count only right after a positional reference ("all previous messages"). */
const BROAD_NOUN = "(?:messages?|inputs?|conversation|content|text|information|requests?|assignments?)\\b";

const PRIOR_REF =
  "\\b(?:previous(?:ly)?|prior|above|earlier|preceding|foregoing|former|original|initial|existing|system|developer|default|all|any|every|your|these|those|pre-?set)\\b";

/** What "ignore the ..." may name: only the assistant's own kind of rules. */
const THE_TARGET = "\\b(?:(?:content|safety|usage|ethical|moral) (?:polic(?:y|ies)|filters?|guidelines|rules|guardrails|restrictions)|guardrails|safeguards)\\b|\\bthe\\s+(?:(?:system|hidden|secret|real|current|given|safety)\\s+)?(?:instructions|rules|guidelines|directives|system prompt|prompt|guardrails|restrictions|content polic(?:y|ies))\\b(?!\\s+(?:for|on|about|of|to|in)\\s)";

/** "everything above", "all that was said before", "what you were told". */
const EVERYTHING_BEFORE =
  "\\b(?:everything|all|anything|whatever|what)\\b(?:[^.!?\\n]{0,30}?)\\b(?:above|before|previously|prior|earlier|so far|until now|up to now|till now|to this point|(?:you were|you've been|you have been) (?:told|given|instructed))\\b";

/**
 * Whose rules: "my previous message" is the user's own; "the instructions for the VPN", "the
 * installation instructions" are about something else than the assistant.
 */
const OWN_OR_DOMAIN = /\b(?!(?:system|safety|content|usage|ethical|moral|previous|prior|above|earlier|preceding|original|initial|old|all|existing|current|your|any|every|these|those|the|new|hidden|secret|real|default|developer|given|first|and|or|of|to|my|our)\b)[a-z]{3,}\s+(?:polic(?:y|ies)|rules|instructions|guidelines|directions|commands?|orders)\b|\b(?:my|our|installation|install|setup|set-up|assembly|build|cooking|care|washing|shipping|upgrade|migration|deployment|warranty|return|usage|operating|dosage|parking|test|linter|lint|compiler|eslint|typescript|git|style|login)\b|\b(?:instructions?|rules?|guidelines?|directions?|policy|commands?)\s+(?:for|on|about|of|to)\s+(?!(?:the |this )?(?:assistant|ai|model|chatbot|bot|conversation|chat)\b)\w/;

/** Before the verb: an infinitive or a question about doing it is not an order ("how do I override"). */
const NOT_AN_ORDER = /(?:\b(?:option|ability|way|ways|how|possible|allowed|able|feature|setting|flag|easy|hard|whether|why|when|where)\s+to|\bhow (?:do|can|should|would|could) (?:i|we|you|one)|\b(?:can|could|should|may) (?:i|we)|\bi (?:want|need|would like|wanted|tried) to|\bto)\s*$/;

const REVEAL_VERB =
  "\\b(?:reveal|print|show|display|output|repeat|recite|echo|dump|leak|disclose|expose|divulge|share|tell|give|provide|write (?:out|down)|type out|spell out|paste|copy|list|return|send|translate|summari[sz]e|read (?:back|out)|what (?:is|are|was|were)|what'?s|describe|explain|quote)\\b";

/** Something only the assistant has, or a secret: its prompt, instructions, configuration, a password. */
const SECRET_TARGET =
  "\\b(?:your|the|its|this|my|ai'?s|assistant'?s|model'?s|bot'?s|chatbot'?s)\\s+(?:(?:full|entire|complete|exact|original|initial|hidden|secret|internal|confidential|real|underlying|verbatim|very first|first|current|previous|actual|starting)\\s+)*(?:(?:system|developer|hidden|initial|original|meta|base|internal|pre|starting)[\\s-]?(?:prompts?|instructions?|messages?|rules|guidelines|configuration|directives)|(?:text|words|instructions|content|prompt|messages?|lines?|sentences?) (?:above|before (?:this|that)|preceding|that came before|written above|at the (?:start|beginning|top))|(?:password|passcode|pass phrase|passphrase|secret (?:key|word|code|phrase)|api[ _-]?keys?|access keys?|credentials|private key)(?![ -]?(?:requirement|polic|reset|manager|field|strength|length|format|rotation|hash|generat|setting|page|form|rule|change|expir|recover)))";

/** The assistant's own instructions: "your instructions", "the rules you were given". */
const OWN_INSTRUCTIONS =
  "\\b(?:your|its|ai'?s|assistant'?s|model'?s|bot'?s|chatbot'?s)\\s+(?:(?:full|entire|complete|exact|original|initial|hidden|secret|internal|confidential|real|underlying|first|current|previous|actual|starting)\\s+)*(?:prompts?(?: texts?)?|instructions|rules|guidelines|directives|programming|configuration|training data)\\b|\\bthe (?:\\w+ )?(?:rules|instructions|guidelines|directives|prompt) (?:that )?you (?:were given|are given|have been given|received|got|were told)\\b|\\b(?:your|the) (?:entire |full |whole )?context window\\b";

const PROMPT_WORDS = "\\b(?:prompt texts?|system prompt|initial prompt|hidden prompt|secret prompt|pre-?prompt|developer (?:message|prompt)|system message)\\b";

const ASSISTANT_NAME =
  "(?:(?:ai|a\\.i\\.|llm|gpt) )?(?:ai|a\\.i\\.|assistant|ai assistant|chatbot|bot|language model|llm|gpt|chatgpt|claude|gemini|copilot|agent|ai agent|ai model|model|automated (?:system|agent|assistant)|summari[sz]er|large language model)s?";

const URL = "\\b[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)*\\.[a-z]{2,}\\b|(?:https?://|www\\.)[^\\s)\\]>\"']+|\\b[a-z0-9-]+(?:\\.[a-z0-9-]+)*\\.(?:com|net|org|io|xyz|ru|cn|tk|top|site|info|biz|me|co|app|dev|cc|ly)/[^\\s)\\]>\"']*";

const SENSITIVE_DATA =
  "\\b(?:conversation|chat|history|messages?|transcript|context|system prompt|instructions|passwords?|credentials|api ?keys?|tokens?|secrets?|cookies?|session|personal (?:data|information|details)|(?:user|customer)(?:'?s)? (?:\\w+ )?(?:data|information|details|emails?|messages?|files|name|address|contacts|credentials|question|query|request|input|prompt|answer|history|location|account)|contacts|address book|inbox|emails?|files|documents|notes|(?:the )?(?:above|previous|entire|full|whole) (?:text|conversation|chat|content|context)|everything|all (?:data|information|the data|of it)|credit cards?|card numbers?|ssn|social security|private (?:data|information|keys?)|summary of (?:this|the) (?:conversation|chat))\\b";

const EXFIL_VERB =
  "\\b(?:send|post|upload|forward|transmit|exfiltrate|e-?mail|submit|report|deliver|leak|share|copy|sync|push|beacon|ping|append|attach|pass|encode|embed|include|put|add|insert|fetch|visit|open|load|request|navigate to|browse to|call|get)\\b";

const IMPERATIVE_LEAD =
  "(?:^|[.!?:;\\n>\\-*•\"'`(]\\s*|\\b(?:please|now|then|and|also|first|next|immediately|quickly|silently|secretly|must|should|shall|need to|have to|make sure to|make sure you|be sure to|remember to|don'?t forget to|you (?:must|should|need to|will|are to|have to|shall)|i want you to|go ahead and|your task is to|your job is to|you are required to|it is (?:required|mandatory) (?:to|that you))\\s+)";

// ---------------------------------------------------------------------------------------------

export const ENGLISH_RULES: InjectionRule[] = [
  // Instruction overrides.
  near(
    "injection.override",
    "1",
    0.8,
    "all",
    OVERRIDE_VERB,
    `${PRIOR_REF}${GAP(20)}\\b${INSTRUCTION_NOUN}|${THE_TARGET}|\\b(?:all (?:of )?)?(?:the |your |all )?(?:above|previous|preceding|prior|foregoing|earlier)\\s+${BROAD_NOUN}|${EVERYTHING_BEFORE}|\\b(?:the |all (?:of )?the )?(?:above|previous|preceding|prior|foregoing)\\b(?=\\s*(?:[.,;:!?\\n]|and\\b|then\\b|$))`,
    { after: 40, unless: OWN_OR_DOMAIN, notBefore: NOT_AN_ORDER },
  ),
  near("injection.override", "1", 0.6, "evidence", OVERRIDE_VERB, "\\b(?:the |this |your )?(?:user'?s?|human'?s?|customer'?s?)\\s+(?:question|request|message|query|prompt|input|instructions?|task)\\b", { after: 12 }),
  near(
    "injection.override",
    "2",
    0.75,
    "all",
    `\\b(?:previous|prior|above|earlier|preceding|original|initial|old|all|existing|current|your|system)\\b${GAP(20)}\\b${INSTRUCTION_NOUN}|\\b(?:the )?${INSTRUCTION_NOUN}\\s+(?:above|before this|so far|you were given|you received)`,
    "\\bno longer (?:apply|applies|valid|in effect|matter|count|relevant)\\b(?!\\s+(?:to|for)\\s+(?!you\\b|the (?:assistant|ai|model)\\b|this (?:chat|conversation|session)\\b))|\\b(?:are|is|were|was|have been|has been|shall be|will be|should be|must be|now)\\s+(?:now\\s+)?(?:a mistake|wrong|fake|false|a test|not real|a lie|null|void|cancel+ed|revoked|obsolete|invalid|overridden|suspended|lifted|disabled|deprecated|outdated|irrelevant|replaced|superseded|no longer (?:valid|apply|applicable|in effect|relevant)|ignored|removed|deleted|reset|to be ignored|over|gone|expired|updated|changed)\\b",
    { after: 30, unless: OWN_OR_DOMAIN },
  ),
  phrase("injection.override", "1", 0.6, "all", `\\b(?:forget|ignore|disregard)\\s+(?:about\\s+)?(?:everything|all(?: of)? that|all this)\\b`),
  phrase(
    "injection.new_instructions",
    "1",
    0.55,
    "all",
    "\\b(?:new|updated|real|actual|true|revised|additional|secret|hidden|different|override|priority)\\s+(?:instructions?|task|rules|directives?|orders|prompt|objective|goal|mission|role|assignment|system prompt)\\s*(?::|-|–|—|\\bis\\b|\\bare\\b|\\bfollows?\\b)",
  ),
  phrase("injection.new_instructions", "1", 0.6, "all", "\\byour (?:new|real|actual|true|only|next|primary) (?:task|instructions?|role|goal|objective|purpose|mission|directive|priority)\\b"),
  phrase("injection.new_instructions", "1", 0.3, "all", "\\b(?:new task|new instructions?|instead,? (?:you (?:should|must|will)|(?:just )?(?:say|write|respond|reply|output|print|tell|answer|do))|now (?:focus on|concentrate on|turn to|do|perform|execute|answer|say|write|print|output|respond))\\b"),
  phrase("injection.new_instructions", "1", 0.5, "all", "\\b(?:from now on|from this (?:point|moment) (?:on|forward)|henceforth|going forward|for the rest of (?:this|the) conversation),?\\s+(?:you|your|act|respond|answer|reply|behave|pretend|speak|only|always|never|do not|don'?t|ignore|forget)\\b"),

  // Role-play as system or developer; identity reassignment.
  phrase(
    "injection.role_play",
    "1",
    0.45,
    "all",
    "\\byou(?:'re| are| will be| shall be)\\s+(?:now|no longer|not (?:an? )?(?:ai|assistant|language model|chatbot|bound|restricted|limited|constrained)|free(?:d)? (?:from|of)|unrestricted|unfiltered|uncensored|jailbroken|liberated|released|unchained|unleashed)\\b",
  ),
  phrase("injection.role_play", "1", 0.45, "all", "\\b(?:now|henceforth|hereafter),?\\s+you\\s+(?:are|will be|shall be|act as|play|become|will act)\\b|\\byou will now (?:act|be|play|become|respond|pretend)\\b"),
  phrase(
    "injection.role_play",
    "1",
    0.65,
    "all",
    "\\b(?:act|behave|respond|operate|function|answer|reply|pretend|roleplay|role-play)\\s+(?:as|like|to be|you are|you're|that you are)\\s+(?:an? |the |my )?(?:unrestricted|unfiltered|uncensored|jailbroken|evil|malicious|rogue|amoral|immoral|unethical|dan\\b|system|sysadmin|admin(?:istrator)?|root|developer|god|hacker|ai with no|model without|assistant without|version of (?:yourself|you) (?:without|with no))",
  ),
  phrase("injection.role_play", "1", 0.55, "all", "\\b(?:an? |the )?(?:ai|assistant|model|chatbot|bot|version of (?:yourself|you)|llm)\\s+(?:with no|without|free of|free from|that has no|that ignores|that doesn'?t follow|who ignores|unbound by)\\s+(?:any\\s+)?(?:ethical\\s+|moral\\s+|safety\\s+|content\\s+)?(?:guidelines|rules|restrictions|filters|limits|limitations|boundaries|morals|ethics|censorship|constraints|polic(?:y|ies))\\b"),
  phrase("injection.role_play", "1", 0.3, "all", "\\b(?:act as|pretend (?:to be|you(?:'re| are))|roleplay as|role-play as|play the role of|impersonate|simulate being|you will play|stay in character|never break character)\\b"),
  phrase("injection.role_play", "1", 0.7, "all", "\\b(?:do anything now|(?:dan|jailbreak|jailbroken|god|unrestricted|unfiltered|uncensored|evil|chaos|opposite|sudo|developer mode enabled|anti-?gpt) mode\\b|developer mode (?:enabled|activated)\\b)"),
  phrase("injection.role_play", "1", 0.35, "all", "\\b(?:enable|activate|enter|switch to|turn on|engage|you are in|now in) (?:the )?developer mode\\b"),
  phrase(
    "injection.role_play",
    "1",
    0.35,
    "all",
    "\\b(?:without|free of|free from|not bound by|unbound by|unconstrained by|no longer bound by|ignoring)\\s+(?:any\\s+)?(?:ethical|moral|safety|content|openai'?s?|anthropic'?s?|your)?\\s*(?:restrictions|limitations|filters|filtering|censorship|guidelines|rules|constraints|boundaries|polic(?:y|ies)|principles|ethics|morals)\\b",
  ),
  phrase(
    "injection.role_play",
    "1",
    0.45,
    "all",
    "\\b(?:i am|i'm|this is|speaking as|message from|note from|instructions? from|update from|notice from|order from|directive from)\\s+(?:the |your |an? )?(?:system|developers?|administrator|admin|sysadmin|operator|openai|anthropic|creators?|owner|root user|security team|it department)\\b(?! (?:at|of|in|for) (?:my|our|a|the) )",
  ),
  phrase(
    "injection.role_play",
    "1",
    0.4,
    "all",
    "\\b(?:system|admin|administrator|developer|root|security|priority|emergency|sudo)\\s+(?:override|command|directive|access granted|authori[sz]ation code)\\b",
  ),

  // Claims of privilege and requests to switch protections off.
  phrase(
    "injection.privilege",
    "1",
    0.45,
    "all",
    "\\b(?:(?:verified|authori[sz]ed|certified|trusted) (?:administrator|admin|developer|operator|root user|superuser)|(?:grant|give|giving|granting) (?:me |the user |this user |us )?(?:full|admin|administrator|root|unrestricted|elevated|complete|unlimited) (?:access|privileges|permissions|rights))\\b",
  ),
  phrase(
    "injection.privilege",
    "1",
    0.45,
    "all",
    "\\b(?:(?:disable|turn off|deactivate|bypass|switch off|remove|lift) (?:the |all |your |any )?(?:content |safety |security |moderation )?(?:checks|filters|filtering|safeguards|guardrails|moderation|restrictions|protections)|(?:safety |content )?(?:filters|guardrails|safeguards|restrictions|checks) (?:are|have been|were) (?:now )?(?:disabled|off|removed|lifted|suspended|turned off))\\b",
  ),

  // Channel and role markers: a fake turn of the conversation, special tokens of chat templates.
  phrase("injection.role_marker", "1", 0.75, "all", "<\\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|begin_of_text)\\|>|\\[/?inst\\]|<</?sys>>|<\\/?(?:system|sys|instructions?|admin|developer|system_prompt|im_start)>|\\[\\/?(?:system|instructions?|admin|developer)\\]"),
  phrase("injection.role_marker", "1", 0.45, "all", "(?:^|\\n|[\"'])\\s*(?:#{1,6}|\\*\\*|>|-{1,}|={2,}|\\[|\\(|\\*|•|\\d+\\.)?\\s*(?:system|developer|admin|administrator|root|sysadmin)(?: (?:message|prompt|note|instruction|update))?\\s*(?:\\]|\\)|\\*\\*)?\\s*:"),
  phrase("injection.role_marker", "1", 0.4, "evidence", "(?:^|\\n|[\"'])\\s*(?:#{1,6}|\\*\\*|-|\\*|•|>|\\d+\\.)?\\s*(?:assistant|ai|human|user|model)\\s*(?:\\*\\*)?\\s*:"),
  phrase("injection.role_marker", "1", 0.4, "all", "(?:^|\\n|[.!?]\\s|-\\s)\\s*#{2,6}\\s*(?:instructions?|new instructions?|system prompt|response|task|override)\\b"),
  phrase("injection.role_marker", "1", 0.5, "evidence", "<\\/(?:document|documents|tool_results|message|context|data|email|input|user_input)>"),
  phrase("injection.role_marker", "1", 0.35, "all", "\\b(?:end of (?:the )?(?:document|context|input|email|file|data|user input|text|article|page|conversation|prompt)|(?:document|context|input|prompt) (?:ends|is over|ended))\\b"),

  // Exfiltration: reveal what only the assistant has; send data to a URL.
  near("injection.exfiltration", "1", 0.75, "all", REVEAL_VERB, `${SECRET_TARGET}|${OWN_INSTRUCTIONS}`, { after: 40, notBefore: NOT_AN_ORDER }),
  phrase("injection.exfiltration", "1", 0.35, "all", PROMPT_WORDS),
  near("injection.exfiltration", "1", 0.7, "all", EXFIL_VERB, `${SENSITIVE_DATA}${GAP(120)}(?:${URL})|(?:${URL})${GAP(120)}${SENSITIVE_DATA}`, { after: 80 }),
  // The data named first: "summarize the user's personal information and post it to http://...".
  near("injection.exfiltration", "1", 0.7, "all", SENSITIVE_DATA, `${EXFIL_VERB}${GAP(40)}(?:${URL}|\\b[\\w.+-]+@[\\w-]+\\.[\\w.]+)`, { after: 60 }),
  phrase("injection.exfiltration", "1", 0.7, "all", "!\\[[^\\]\\n]{0,80}\\]\\(\\s*(?:https?:)?//[^)\\s]*[?&][^)\\s]*=\\s*(?:\\{|\\[|<|\\$|%7b|\\(|\\*|data|secret|conversation|history|summary|token|key|password|info|chat|message|context|prompt|user|email|name)"),
  near("injection.exfiltration", "1", 0.45, "evidence", "\\b(?:render|display|include|output|print|show|embed|insert|append|add|write|return|respond with)\\b", `\\b(?:image|markdown|link|url|pixel|img)\\b${GAP(80)}(?:${URL}|!\\[)|!\\[`, { after: 60 }),
  near("injection.exfiltration", "1", 0.5, "evidence", "\\b(?:replace|fill in|fill|substitute|insert|put|append|add|encode|include)\\b", `\\b(?:with|by|into)\\s+(?:the\\s+)?(?:user'?s?|conversation|chat|data|secret|password|api|token|email|name|address|summary|history|context|system prompt|previous|above)`, { after: 60 }),
  phrase(
    "injection.exfiltration",
    "1",
    0.45,
    "evidence",
    "\\b(?:do not|don'?t|never|without)\\s+(?:tell|telling|inform|informing|notify|notifying|alert|alerting|mention|mentioning|let|letting|reveal|revealing|disclos\\w+|show|showing|ask|asking|warn|warning)\\s+(?:the |this |your )?(?:user|human|customer|person|recipient|owner|them|anyone)\\b",
  ),

  // Tool calls requested by evidence: a tool result or a document never asks for a tool.
  // "Use a.empty" and "call the function" are ordinary in code documentation: a dotted name counts
  // only after a verb that means calling it, and the function word not at all.
  phrase(
    "injection.tool_call",
    "2",
    0.55,
    "evidence",
    `${IMPERATIVE_LEAD}(?:(?:call|invoke|execute|trigger|fire|initiate)\\s+(?:the\\s+|a\\s+)?[\`'"]?[a-z_][\\w-]*[._:/][a-z_][\\w-]*[\`'"]?(?![\\w-]*\\s*\\()|(?:call|invoke|run|execute|use|trigger|fire|perform|issue|make|send|do|initiate|launch)\\s+(?:the\\s+|a\\s+)?(?:[a-z_]+\\s+)?(?:tool|plugin|action)s?\\b(?!\\s*\\())`,
  ),
  phrase(
    "injection.tool_call",
    "1",
    0.5,
    "evidence",
    `${IMPERATIVE_LEAD}(?:call|invoke|run|execute|use|trigger)\\s+(?:the\\s+)?[\`'"]?(?:send|delete|transfer|create|update|post|write|save|remove|share|forward|grant|pay|book|invite|add|set|change|move|upload|download|email|purchase|buy|wire|approve)_[a-z_]+`,
  ),
  phrase("injection.tool_call", "1", 0.6, "evidence", `\\{\\s*"(?:name|tool|tool_name|function|action|recipient_name|tool_id)"\\s*:\\s*"[\\w.:/-]+"\\s*,\\s*"(?:arguments|args|parameters|input|params|action_input|tool_input)"\\s*:`),
  phrase("injection.tool_call", "1", 0.6, "evidence", `"(?:tool_calls|function_call|tool_use)"\\s*:|<(?:tool_call|function_call|tool_use|invoke|function_calls)\\b`),

  // Text in evidence addressed to the assistant that reads it.
  phrase("injection.addressed_to_ai", "1", 0.6, "all", `\\b(?:if|when|while|since) you(?:'re| are) (?:an? |the )?(?:ai|a\\.i\\.|assistant|language model|llm|chatbot|bot|ai agent|agent|ai model|automated|gpt|large language model|reading this as)`),
  phrase("injection.addressed_to_ai", "1", 0.6, "evidence", `\\b${ASSISTANT_NAME}\\s+(?:reading|processing|summari[sz]ing|analy[sz]ing|parsing|viewing|scanning|crawling|that reads?|who reads?|receiving|indexing)\\s+(?:this|these|the (?:following|above))`),
  phrase("injection.addressed_to_ai", "1", 0.55, "evidence", `(?:^|[.!?\\n]\\s*|\\b(?:dear|hey|hello|hi|attention|note to|message to|instructions? (?:to|for)|reminder (?:to|for)|important (?:for|to)|to)\\s+)(?:the\\s+|all\\s+|any\\s+)?${ASSISTANT_NAME}\\b\\s*[,:!]`),
  phrase("injection.addressed_to_ai", "1", 0.4, "evidence", `\\b(?:when|once|as soon as|after|if) you (?:read|see|process|parse|receive|load|open|summari[sz]e) (?:this|these|the following)\\b`),
  phrase("injection.addressed_to_ai", "1", 0.35, "evidence", `\\b(?:when|while|before|after) (?:summari[sz]ing|processing|reading|answering|responding|analy[sz]ing|translating|parsing)\\s+(?:this|these|the (?:above|following|user|document|page|email|content|text|message|request))\\b`),
  phrase("injection.output_control", "1", 0.5, "evidence", `\\b(?:start|begin|end|prefix|preface|encode|encrypt|translate|write|format|reverse|include|append|conclude|sign|finish|replace|put|wrap|output|render|respond to|reply to|answer)\\s+(?:[\\w']+\\s+){0,4}?(?:your|the assistant'?s|the ai'?s|the model'?s)\\s+(?:final\\s+|next\\s+|entire\\s+|whole\\s+)?(?:response|answer|reply|output|summary|completion|message|translation)s?\\b`),
  // Evidence editing the assistant's output: "integrate a sentence in your response", "modify your reply".
  phrase(
    "injection.output_control",
    "1",
    0.5,
    "evidence",
    `\\b(?:add|include|integrate|insert|append|incorporate|mention|embed|put|use|express|provide|render|present|format|translate|encode|encrypt|replace|substitute|convert|apply|suggest|highlight|promote|state|spread|hint)\\b${GAP(80)}\\b(?:in|into|within|throughout|to|inside)\\s+your\\s+(?:final\\s+)?(?:response|reply|answer|output|summary|completion)s?\\b|\\b(?:modify|enhance|augment|alter|change|rewrite|reverse|encode|encrypt|translate|format|invert|scramble|expand|extend)\\s+your\\s+(?:final\\s+)?(?:response|reply|answer|output|summary|completion)s?\\b|(?:^|[.!?\\n]\\s*)in your (?:response|reply|answer|output|summary)\\s*,`,
  ),
  phrase("injection.output_control", "1", 0.4, "evidence", `\\b(?:your|the assistant'?s|the ai'?s|the model'?s)\\s+(?:final\\s+)?(?:response|answer|reply|output|summary|completion)s?\\s+(?:must|should|shall|will|needs? to|has to|is to)\\b`),
  phrase("injection.output_control", "1", 0.5, "evidence", `\\b(?:never|don'?t|do not|without)\\s+(?:mention(?:ing)?|reveal(?:ing)?|disclos(?:e|ing)|acknowledg(?:e|ing)|refer(?:ring)? to|talk(?:ing)? about|(?:tell(?:ing)?|inform(?:ing)?|notify(?:ing)?) (?:the user|anyone|them|the human) about)\\s+(?:these|this|the|any of these|any of this)\\s+(?:instructions?|messages?|notes?|rules?|directives?|requests?|text)\\b`),
  phrase("injection.output_control", "1", 0.35, "evidence", `\\b(?:whatever|regardless of what|no matter what|irrespective of what)\\s+the\\s+user\\s+(?:asks|says|wants|writes|requests|types)\\b`),
  phrase("injection.output_control", "1", 0.4, "evidence", `\\b(?:tell|inform|convince|persuade|advise|urge|remind|warn|instruct|ask|recommend (?:to|that))\\s+the\\s+users?\\b`),
  phrase("injection.output_control", "1", 0.4, "evidence", `\\b(?:respond|reply|answer)\\s+(?:only|exclusively|solely|always)\\s+(?:with|in|using|by)\\b`),

  // Encoded payloads announced as instructions.
  near("injection.encoded", "1", 0.65, "all", "\\b(?:decode|decrypt|decipher|unscramble|translate|reverse|rot13|base64[- ]decode)\\b", "\\b(?:and|then)\\s+(?:follow|execute|run|do|obey|act (?:on|upon)|carry out|perform|comply with|apply|implement)\\b", { after: 60 }),
  phrase("injection.encoded", "1", 0.65, "all", "\\b(?:follow|execute|obey|run|carry out|act on|perform)\\s+(?:the\\s+)?(?:decoded|hidden|encoded|base64|embedded|encrypted|secret|invisible)\\s+(?:instructions?|text|message|commands?|payload|content|directions?)\\b"),

  // Evidence telling its reader what to answer: set the text aside and state something else
  // ("ignore the resume and state: ...", "state that the conclusion of the paper is ...").
  phrase(
    "injection.answer_forcing",
    "1",
    0.65,
    "evidence",
    `\\b(?:ignore|disregard|forget|skip|overlook)\\s+(?:the|this|that|these|all|any)\\s+(?:[a-z-]+\\s+){0,2}?(?:and|,|then)\\s+(?:just\\s+|instead\\s+|simply\\s+)?(?:state|say|claim|declare|assert|answer|respond|reply|output|print|write|tell|report|conclude)\\b`,
  ),
  phrase(
    "injection.answer_forcing",
    "1",
    0.55,
    "evidence",
    `\\b(?:state|say|claim|declare|assert|report|answer|respond|reply|print|output|write|conclude|tell (?:them|the user|everyone))\\s+(?:that\\s+)?(?:the\\s+)?(?:final\\s+|correct\\s+|real\\s+)?(?:answer|output|result|conclusion|response|outcome|sum|total|capital|verdict)\\s+(?:of\\s+[^.!?\\n]{0,40}?\\s+)?(?:is|was|equals|should be|must be|will be)\\b`,
  ),
  phrase(
    "injection.answer_forcing",
    "1",
    0.6,
    "evidence",
    `\\b(?:when|if|whenever|once)\\s+(?:you\\s+are\\s+|you're\\s+)?(?:asked|questioned|queried|prompted)\\s+(?:about|for|on|what|whether|how|who|which)\\b[^.!?\\n]{0,80}?,?\\s*(?:always\\s+|just\\s+|simply\\s+)?(?:say|state|answer|reply|respond|claim|tell|insist|confirm|explain)\\b`,
  ),
  phrase("injection.answer_forcing", "1", 0.45, "evidence", `\\b(?:consider|treat|take|regard|report)\\s+the\\s+(?:output|answer|result|conclusion)\\s+(?:as|to be)\\b`),
  phrase("injection.answer_forcing", "1", 0.3, "evidence", `\\bthe\\s+(?:output|answer|result)\\s+(?:could|would|should|must)\\s+be\\b`),
  // Fake modes and overrides announced inside data.
  phrase("injection.role_marker", "2", 0.6, "evidence", `<\\s*(?:system|developer|admin)[ _-]?mode\\s*>|\\b(?:system|developer|admin|training data|maintenance)\\b[^.!?\\n]{0,30}\\boverride\\s*:`),

  // Urgency framing; weak alone, it adds to another signal.
  phrase("injection.urgency", "1", 0.15, "all", "(?:^|\\n|[.!?]\\s+)(?:important|attention|urgent|warning|stop|alert|critical|priority|override|notice)\\s*(?:!{1,}|:|-|–)"),
];
