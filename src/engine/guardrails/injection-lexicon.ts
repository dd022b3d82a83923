/**
 * The same three signals as the English rules (override, reveal, identity reassignment) in other
 * languages, as word lists rather than phrases: an override verb near an instruction noun (either
 * order, for verb-final languages such as Japanese, Korean, Turkish, Hindi), a reveal verb near a
 * secret target. Words are prefixes (inflections vary) and pass through the scanning normalisation
 * when the module loads, so they meet the text in the same form (accents stripped, NFKC).
 */
import type { InjectionRule } from "./injection-rules";
import { toScanText } from "./normalise";

interface Language {
  code: string;
  /** Scripts without spaces between words get no word boundaries. */
  spaced: boolean;
  override: string[];
  instruction: string[];
  reveal: string[];
  secret: string[];
  role: string[];
}

const LANGUAGES: Language[] = [
  {
    code: "de",
    spaced: true,
    override: ["ignorier", "vergiss", "vergesst", "vergessen sie", "missacht", "übergeh", "überspring", "verwirf", "hör auf", "beachte nicht", "nicht mehr beacht", "setze außer kraft", "lösch"],
    instruction: ["anweisung", "instruktion", "befehl", "regeln", "vorgabe", "richtlinie", "aufgabe", "alles davor", "alles zuvor", "alles vorher", "alles bisherige", "alles oben", "alles obige", "alles, was", "vorherig", "obig", "bisherig", "vorangegangen", "systemprompt"],
    reveal: ["zeig", "gib mir", "gib aus", "nenn", "verrat", "wiederhol", "schreib", "druck", "offenbar", "ausgeben", "teile mir"],
    secret: ["systemprompt", "system-prompt", "systemanweisung", "deine anweisungen", "ihre anweisungen", "deine instruktionen", "deine regeln", "deinen prompt", "dein prompt", "passwort", "ursprüngliche anweisung", "prompt-text", "prompttext"],
    role: ["du bist jetzt", "du bist nun", "du bist ab sofort", "ab jetzt bist du", "ab sofort bist du", "jetzt bist du", "nun bist du", "tu so, als", "tu so als", "spiel die rolle", "sie sind jetzt", "ab jetzt antwortest du"],
  },
  {
    code: "fr",
    spaced: true,
    override: ["ignore", "ignorez", "oublie", "oubliez", "ne tiens pas compte", "ne tenez pas compte", "fais abstraction", "faites abstraction", "néglige", "passe outre", "passez outre", "n'obéis plus", "ne suis plus", "ne suivez plus"],
    instruction: ["instruction", "consigne", "règle", "directive", "ordre", "commande", "tout ce qui précède", "ce qui précède", "précédent", "antérieur", "ci-dessus", "tout ce qu'on t'a dit"],
    reveal: ["révèle", "révélez", "affiche", "montre", "donne", "répète", "imprime", "écris", "dis-moi", "divulgue", "indique"],
    secret: ["prompt système", "invite système", "message système", "tes instructions", "vos instructions", "tes consignes", "vos consignes", "ton prompt", "votre prompt", "mot de passe", "instructions initiales"],
    role: ["tu es maintenant", "tu es désormais", "vous êtes maintenant", "à partir de maintenant", "désormais, tu", "désormais tu", "fais semblant", "faites semblant", "joue le rôle", "agis comme"],
  },
  {
    code: "es",
    spaced: true,
    override: ["ignora", "ignore", "olvida", "olvide", "omite", "no hagas caso", "haz caso omiso", "descarta", "desobedece", "deja de seguir", "no sigas"],
    instruction: ["instrucciones", "instrucción", "reglas", "indicaciones", "directrices", "órdenes", "comandos", "todo lo anterior", "lo anterior", "anteriores", "previas", "lo que te dijeron", "todo lo que"],
    reveal: ["revela", "muestra", "muéstrame", "dime", "imprime", "repite", "escribe", "dame", "enséñame", "divulga"],
    secret: ["prompt del sistema", "mensaje del sistema", "indicaciones del sistema", "instrucciones del sistema", "tus instrucciones", "sus instrucciones", "tu prompt", "contraseña", "instrucciones iniciales"],
    role: ["ahora eres", "a partir de ahora eres", "a partir de ahora", "desde ahora eres", "finge ser", "finge que", "actúa como", "haz de cuenta"],
  },
  {
    code: "it",
    spaced: true,
    override: ["ignora", "ignori", "dimentica", "dimentichi", "trascura", "non seguire", "non considerare", "non tenere conto"],
    instruction: ["istruzioni", "regole", "indicazioni", "direttive", "comandi", "tutto quello", "tutto ciò", "precedenti", "sopra", "quanto detto"],
    reveal: ["rivela", "mostra", "mostrami", "dimmi", "stampa", "ripeti", "scrivi", "dammi"],
    secret: ["prompt di sistema", "prompt del sistema", "messaggio di sistema", "le tue istruzioni", "tue istruzioni", "il tuo prompt", "password", "istruzioni iniziali"],
    role: ["ora sei", "adesso sei", "da ora in poi", "d'ora in poi", "fingi di", "fai finta di", "comportati come"],
  },
  {
    code: "pt",
    spaced: true,
    override: ["ignore", "ignora", "esqueça", "esquece", "desconsidere", "desconsidera", "despreze", "não siga", "pare de seguir"],
    instruction: ["instruções", "instrução", "regras", "diretrizes", "ordens", "comandos", "tudo o que", "tudo que foi", "anteriores", "acima", "tudo antes"],
    reveal: ["revele", "revela", "mostre", "mostra", "diga", "imprima", "repita", "escreva", "me dê", "me mostre"],
    secret: ["prompt do sistema", "mensagem do sistema", "suas instruções", "tuas instruções", "seu prompt", "senha", "instruções iniciais"],
    role: ["agora você é", "a partir de agora", "de agora em diante", "finja ser", "finja que", "aja como"],
  },
  {
    code: "nl",
    spaced: true,
    override: ["negeer", "vergeet", "negeren", "vergeten", "sla over", "volg niet"],
    instruction: ["instructies", "regels", "opdrachten", "richtlijnen", "alles hiervoor", "alles hierboven", "alles daarvoor", "vorige", "eerdere", "bovenstaande"],
    reveal: ["toon", "laat zien", "geef", "herhaal", "onthul", "vertel"],
    secret: ["systeemprompt", "systeem prompt", "je instructies", "jouw instructies", "wachtwoord"],
    role: ["je bent nu", "vanaf nu ben je", "doe alsof"],
  },
  {
    code: "ru",
    spaced: true,
    override: ["игнорируй", "игнорировать", "проигнорируй", "забудь", "забыть", "не обращай внимания", "отбрось", "пренебреги", "не следуй", "отмени"],
    instruction: ["инструкци", "правил", "указани", "предыдущ", "команд", "всё выше", "все выше", "всё сказанное", "все сказанное", "всё, что", "все, что", "промпт", "вышесказанн", "ограничени"],
    reveal: ["покажи", "выведи", "раскрой", "напиши", "повтори", "скажи", "назови", "дай", "сообщи"],
    secret: ["системный промпт", "системную подсказку", "системные инструкции", "системное сообщение", "свои инструкции", "твои инструкции", "ваши инструкции", "пароль", "исходные инструкции"],
    role: ["теперь ты", "отныне ты", "притворись", "представь, что ты", "представь что ты", "веди себя как"],
  },
  {
    code: "uk",
    spaced: true,
    override: ["ігноруй", "забудь", "не зважай"],
    instruction: ["інструкці", "правил", "попередн", "вказівк"],
    reveal: ["покажи", "виведи", "розкрий", "повтори", "скажи"],
    secret: ["системний промпт", "системні інструкції", "свої інструкції", "пароль"],
    role: ["тепер ти", "відтепер ти", "вдавай"],
  },
  {
    code: "pl",
    spaced: true,
    override: ["zignoruj", "ignoruj", "zapomnij", "pomiń", "nie stosuj się"],
    instruction: ["instrukcj", "poleceni", "zasad", "reguł", "poprzedni", "wszystko powyżej", "wszystko wcześniej", "wcześniejsze"],
    reveal: ["pokaż", "wyświetl", "ujawnij", "powtórz", "podaj", "napisz"],
    secret: ["prompt systemowy", "instrukcje systemowe", "swoje instrukcje", "twoje instrukcje", "hasło"],
    role: ["teraz jesteś", "od teraz jesteś", "udawaj"],
  },
  {
    code: "tr",
    spaced: true,
    override: ["yok say", "görmezden gel", "unut", "dikkate alma", "boşver", "uyma"],
    instruction: ["talimat", "kural", "yönerge", "önceki", "yukarıdaki", "komut", "her şeyi"],
    reveal: ["göster", "yazdır", "söyle", "açıkla", "tekrarla", "bana ver"],
    secret: ["sistem istemi", "sistem komut", "sistem talimat", "talimatlarını", "şifre", "parola"],
    role: ["artık sen", "şu andan itibaren sen", "gibi davran"],
  },
  {
    code: "sv-da-no",
    spaced: true,
    override: ["ignorera", "glöm", "ignorer", "glem", "bortse fra", "strunta i"],
    instruction: ["instruktioner", "instruksjoner", "instruktionerne", "regler", "tidigare", "ovan", "forrige", "tidligere", "ovenfor"],
    reveal: ["visa mig", "vis mig", "vis meg", "skriv ut", "avslöja", "afslør", "gjenta", "upprepa"],
    secret: ["systemprompt", "systemprompten", "dina instruktioner", "dine instruksjoner", "lösenord", "passord", "adgangskode"],
    role: ["du är nu", "du er nu", "du er nå", "från och med nu"],
  },
  {
    code: "id-ms",
    spaced: true,
    override: ["abaikan", "lupakan", "jangan ikuti", "acuhkan", "jangan hiraukan"],
    instruction: ["instruksi", "petunjuk", "perintah", "aturan", "sebelumnya", "di atas", "semua"],
    reveal: ["tunjukkan", "tampilkan", "beritahu", "ulangi", "cetak", "ungkapkan"],
    secret: ["prompt sistem", "instruksi sistem", "instruksimu", "instruksi anda", "kata sandi"],
    role: ["sekarang kamu adalah", "mulai sekarang kamu", "berpura-pura"],
  },
  {
    code: "vi",
    spaced: true,
    override: ["bỏ qua", "quên đi", "phớt lờ", "không tuân theo", "lờ đi"],
    instruction: ["hướng dẫn", "chỉ dẫn", "chỉ thị", "quy tắc", "lệnh", "trước đó", "phía trên", "tất cả"],
    reveal: ["hiển thị", "cho tôi xem", "tiết lộ", "in ra", "lặp lại", "nói cho tôi"],
    secret: ["lời nhắc hệ thống", "prompt hệ thống", "hướng dẫn hệ thống", "chỉ dẫn của bạn", "mật khẩu"],
    role: ["bây giờ bạn là", "từ giờ bạn là", "hãy giả vờ"],
  },
  {
    code: "tl",
    spaced: true,
    override: ["kalimutan", "huwag pansinin", "balewalain", "huwag sundin"],
    instruction: ["utos", "tagubilin", "panuto", "naunang", "nakaraang", "lahat ng"],
    reveal: ["ipakita", "sabihin", "ulitin"],
    secret: ["system prompt", "iyong mga tagubilin", "password"],
    role: ["ikaw ngayon ay", "mula ngayon ikaw"],
  },
  {
    code: "zh",
    spaced: false,
    override: ["忽略", "无视", "無視", "忘记", "忘記", "忘掉", "不要理会", "不要理會", "不理会", "跳过", "跳過", "抛开", "拋開", "放弃", "放棄", "绕过", "繞過", "不要遵守", "不再遵守", "不要遵循", "别管", "別管"],
    instruction: ["指令", "指示", "说明", "說明", "规则", "規則", "提示", "设定", "設定", "要求", "命令", "之前", "以前", "上面", "上述", "先前", "前面", "所有", "一切", "限制"],
    reveal: ["告诉", "告訴", "显示", "顯示", "输出", "輸出", "打印", "透露", "泄露", "洩露", "重复", "重複", "展示", "给我看", "給我看", "说出", "說出", "写出", "寫出"],
    secret: ["系统提示", "系統提示", "系统指令", "系統指令", "提示词", "提示詞", "初始指令", "你的指令", "你的提示", "密码", "密碼", "系统消息", "系統訊息"],
    role: ["你现在是", "你現在是", "从现在开始", "從現在開始", "从现在起", "從現在起", "假装你是", "假裝你是", "扮演一个没有", "你不再是"],
  },
  {
    code: "ja",
    spaced: false,
    override: ["無視", "忘れ", "従わない", "従うな", "破棄", "無効に"],
    instruction: ["指示", "命令", "ルール", "規則", "プロンプト", "以前", "前の", "上記", "これまで", "すべて", "全て", "制限"],
    reveal: ["教え", "表示", "出力", "見せ", "示し", "繰り返", "開示", "書き出"],
    secret: ["システムプロンプト", "システム・プロンプト", "初期指示", "指示内容", "パスワード", "あなたの指示", "あなたのプロンプト"],
    role: ["あなたは今", "今からあなたは", "これからあなたは", "ふりをし", "として振る舞", "として振舞"],
  },
  {
    code: "ko",
    spaced: false,
    override: ["무시", "잊어", "잊고", "따르지 마", "따르지마", "어기"],
    instruction: ["지시", "지침", "명령", "규칙", "프롬프트", "이전", "위의", "앞의", "모든", "제한"],
    reveal: ["알려", "보여", "출력", "공개", "말해", "반복"],
    secret: ["시스템 프롬프트", "시스템프롬프트", "초기 지시", "지시사항", "비밀번호", "너의 지시", "당신의 지시"],
    role: ["너는 이제", "당신은 이제", "지금부터 너는", "지금부터 당신은", "척 해", "척해"],
  },
  {
    code: "ar",
    spaced: false,
    override: ["تجاهل", "انس", "إنس", "اترك", "لا تتبع", "تخط", "أهمل", "اهمل"],
    instruction: ["التعليمات", "تعليمات", "الأوامر", "الاوامر", "القواعد", "السابقة", "أعلاه", "اعلاه", "الإرشادات", "التوجيهات", "كل ما"],
    reveal: ["اكشف", "أظهر", "اظهر", "اعرض", "اطبع", "أخبرني", "اخبرني", "كرر", "أعطني", "اعطني"],
    secret: ["موجه النظام", "تعليمات النظام", "رسالة النظام", "التعليمات الأولية", "تعليماتك", "كلمة المرور", "كلمة السر"],
    role: ["أنت الآن", "انت الان", "من الآن فصاعدا", "من الان فصاعدا", "تظاهر"],
  },
  {
    code: "fa",
    spaced: false,
    override: ["نادیده بگیر", "فراموش کن", "توجه نکن"],
    instruction: ["دستورالعمل", "دستورات", "قوانین", "قبلی", "بالا"],
    reveal: ["نشان بده", "بگو", "چاپ کن", "فاش کن"],
    secret: ["پرامپت سیستم", "دستورات سیستم", "دستورالعمل‌های تو", "رمز عبور"],
    role: ["تو اکنون", "از این به بعد تو", "وانمود کن"],
  },
  {
    code: "he",
    spaced: false,
    override: ["התעלם", "תתעלם", "שכח", "תשכח", "אל תציית", "אל תקשיב"],
    instruction: ["הוראות", "כללים", "הכללים", "הקודמות", "הקודמים", "לעיל", "הנחיות"],
    reveal: ["חשוף", "הצג", "הדפס", "גלה", "תגלה", "תראה", "חזור על", "תן לי"],
    secret: ["הנחיות המערכת", "הנחיית המערכת", "פרומפט המערכת", "ההוראות שלך", "סיסמה", "הסיסמה"],
    role: ["אתה עכשיו", "מעכשיו אתה", "העמד פנים"],
  },
  {
    code: "hi",
    spaced: false,
    override: ["अनदेखा", "भूल जाओ", "भूल जाइए", "भूल जाएं", "नज़रअंदाज़", "नजरअंदाज", "मत मानो"],
    instruction: ["निर्देश", "नियम", "पिछले", "पहले के", "ऊपर", "आदेश"],
    reveal: ["बताओ", "दिखाओ", "बताइए", "दिखाइए", "प्रिंट", "बताएं", "दोहराओ"],
    secret: ["सिस्टम प्रॉम्प्ट", "सिस्टम प्रोम्प्ट", "सिस्टम निर्देश", "अपने निर्देश", "पासवर्ड"],
    role: ["अब तुम", "अब आप", "अभी से तुम", "होने का नाटक"],
  },
];

/** Words the English rules already read, with their exceptions: not counted twice. */
const ENGLISH = new Set(["ignore", "instruction", "instructions", "directive", "password", "system prompt", "print"]);

function alternation(words: string[], spaced: boolean): string {
  const forms = [...new Set(words.map((w) => toScanText(w).text))].filter((w) => !ENGLISH.has(w)).sort((a, b) => b.length - a.length);
  const body = forms.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
  // Prefixes: a word boundary before, none after (inflected endings vary).
  return spaced ? `(?<![\\p{L}\\p{N}])(?:${body})` : `(?:${body})`;
}

/** Co-occurrence of two word lists within `window` characters, in either order. */
function cooccur(id: string, weight: number, a: string, b: string, window: number): InjectionRule {
  const re = new RegExp(`(?:${a})[^.!?。！？\\n]{0,${window}}?(?:${b})|(?:${b})[^.!?。！？\\n]{0,${window}}?(?:${a})`, "gu");
  return {
    id,
    version: "1",
    weight,
    scope: "all",
    find(text) {
      re.lastIndex = 0;
      const m = re.exec(text);
      return m ? m.index : -1;
    },
  };
}

function single(id: string, weight: number, a: string): InjectionRule {
  const re = new RegExp(a, "gu");
  return {
    id,
    version: "1",
    weight,
    scope: "all",
    find(text) {
      re.lastIndex = 0;
      const m = re.exec(text);
      return m ? m.index : -1;
    },
  };
}

export interface LanguageGroup {
  code: string;
  /** Any override, reveal or role word of the language: the rules run only where it matches. */
  anchor: RegExp;
  rules: InjectionRule[];
}

/** One rule per signal per language, built once. */
export const LANGUAGE_GROUPS: LanguageGroup[] = LANGUAGES.map((lang) => {
  const override = alternation(lang.override, lang.spaced);
  const instruction = alternation(lang.instruction, lang.spaced);
  const reveal = alternation(lang.reveal, lang.spaced);
  const secret = alternation(lang.secret, lang.spaced);
  const role = alternation(lang.role, lang.spaced);
  return {
    code: lang.code,
    anchor: new RegExp(alternation([...lang.override, ...lang.reveal, ...lang.role, ...lang.secret], lang.spaced), "u"),
    rules: [
      cooccur("injection.override", 0.75, override, instruction, lang.spaced ? 50 : 24),
      cooccur("injection.exfiltration", 0.7, reveal, secret, lang.spaced ? 50 : 24),
      single("injection.role_play", 0.45, role),
    ],
  };
});

/** Any anchor word of any language: most texts match none and skip every group. */
export const ANY_LANGUAGE_ANCHOR = new RegExp(
  alternation(
    LANGUAGES.flatMap((lang) => (lang.spaced ? [...lang.override, ...lang.reveal, ...lang.role, ...lang.secret] : [])),
    true,
  ) + "|" + alternation(LANGUAGES.flatMap((lang) => (lang.spaced ? [] : [...lang.override, ...lang.reveal, ...lang.role, ...lang.secret])), false),
  "u",
);
