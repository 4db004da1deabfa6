package cmi

import (
	"regexp"
	"strings"
)

// language_type (SCORM 2004 RTE 4.1.1.7) is a language tag as RFC 3066
// defines it: the ADL conformance test checks the codes, not only the
// syntax. The primary subtag is an ISO 639-1 (two letters) or ISO 639-2
// (three letters, terminology or bibliographic) code, or "i" or "x" for
// IANA-registered and private tags; a later subtag of two characters is an
// ISO 3166-1 country code, any other has 3 to 8 letters or digits. Letter
// case does not matter. ISO 639-3 codes ("ruq") are not ISO 639-2 codes and
// are refused, as ADL does.

// reLang is the syntax; the code lists below decide the rest.
const reLang = `[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*|[iIxX](?:-[A-Za-z0-9]{1,8})+`

// The code lists, exported in the schema for the shim. They are the ISO 639
// and ISO 3166 lists as published, plus codes that were withdrawn but that
// older content still writes (ADL accepts them): mo, mol, scc, scr, sh, and
// the former country codes of ISO 3166-3 (yu, cs, tp, zr, …). "uk" is
// reserved by ISO 3166 for the United Kingdom and common in content ("en-UK").
const (
	isoLanguages = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv " +
		"cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr " +
		"ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw " +
		"ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mo mr ms mt my na nb nd ne ng nl nn no nr " +
		"nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si sk sl sm sn so " +
		"sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo " +
		"xh yi yo za zh zu aar abk ace ach ada ady afa afh afr ain aka akk alb ale alg alt amh ang " +
		"anp apa ara arc arg arm arn arp art arw asm ast ath aus ava ave awa aym aze bad bai bak " +
		"bal bam ban baq bas bat bej bel bem ben ber bho bih bik bin bis bla bnt bod bos bra bre " +
		"btk bua bug bul bur byn cad cai car cat cau ceb cel ces cha chb che chg chi chk chm chn " +
		"cho chp chr chu chv chy cmc cnr cop cor cos cpe cpf cpp cre crh crp csb cus cym cze dak " +
		"dan dar day del den deu dgr din div doi dra dsb dua dum dut dyu dzo efi egy eka ell elx " +
		"eng enm epo est eus ewe ewo fan fao fas fat fij fil fin fiu fon fra fre frm fro frr frs " +
		"fry ful fur gaa gay gba gem geo ger gez gil gla gle glg glv gmh goh gon gor got grb grc " +
		"gre grn gsw guj gwi hai hat hau haw heb her hil him hin hit hmn hmo hrv hsb hun hup hye " +
		"iba ibo ice ido iii ijo iku ile ilo ina inc ind ine inh ipk ira iro isl ita jav jbo jpn " +
		"jpr jrb kaa kab kac kal kam kan kar kas kat kau kaw kaz kbd kha khi khm kho kik kin kir " +
		"kmb kok kom kon kor kos kpe krc krl kro kru kua kum kur kut lad lah lam lao lat lav lez " +
		"lim lin lit lol loz ltz lua lub lug lui lun luo lus mac mad mag mah mai mak mal man mao " +
		"map mar mas may mdf mdr men mga mic min mis mkd mkh mlg mlt mnc mni mno moh mol mon mos " +
		"mri msa mul mun mus mwl mwr mya myn myv nah nai nap nau nav nbl nde ndo nds nep new nia " +
		"nic niu nld nno nob nog non nor nqo nso nub nwc nya nym nyn nyo nzi oci oji ori orm osa " +
		"oss ota oto paa pag pal pam pan pap pau peo per phi phn pli pol pon por pra pro pus que " +
		"raj rap rar roa roh rom ron rum run rup rus sad sag sah sai sal sam san sas sat scc scn " +
		"sco scr sel sem sga sgn shn sid sin sio sit sla slk slo slv sma sme smi smj smn smo sms " +
		"sna snd snk sog som son sot spa sqi srd srn srp srr ssa ssw suk sun sus sux swa swe syc " +
		"syr tah tai tam tat tel tem ter tet tgk tgl tha tib tig tir tiv tkl tlh tli tmh tog ton " +
		"tpi tsi tsn tso tuk tum tup tur tut tvl twi tyv udm uga uig ukr umb und urd uzb vai ven " +
		"vie vol vot wak wal war was wel wen wln wol xal xho yao yap yid yor ypk zap zbl zen zgh " +
		"zha zho znd zul zun zxx zza "

	isoRegions = "ad ae af ag ai al am an ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo " +
		"bq br bs bt bu bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cs ct cu cv cw cx cy cz " +
		"dd de dj dk dm do dy dz ec ee eg eh er es et fi fj fk fm fo fq fr fx ga gb gd ge gf gg gh " +
		"gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu hv id ie il im in io iq ir is it je " +
		"jm jo jp jt ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me " +
		"mf mg mh mi mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng nh ni nl no np " +
		"nq nr nt nu nz om pa pc pe pf pg ph pk pl pm pn pr ps pt pu pw py pz qa re rh ro rs ru rw " +
		"sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl " +
		"tm tn to tp tr tt tv tw tz ua ug uk um us uy uz va vc vd ve vg vi vn vu wf wk ws yd ye yt " +
		"yu za zm zr zw "
)

var (
	langSyntax = regexp.MustCompile(`^(?:` + reLang + `)$`)
	langCodes  = codeSet(isoLanguages)
	langRegion = codeSet(isoRegions)
)

func codeSet(list string) map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(list) {
		m[c] = true
	}
	return m
}

// validLanguage reports whether s is a language_type. The shim runs the same
// test with the schema's languageRegex, languages and regions.
func validLanguage(s string) bool {
	if !langSyntax.MatchString(s) {
		return false
	}
	sub := strings.Split(strings.ToLower(s), "-")
	if sub[0] == "i" || sub[0] == "x" {
		return true
	}
	if !langCodes[sub[0]] {
		return false
	}
	for _, t := range sub[1:] {
		if len(t) == 2 && !langRegion[t] {
			return false
		}
	}
	return true
}
