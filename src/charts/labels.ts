/**
 * Texts the charts draw, in English and Arabic: chart titles, units, reference lines, bar notes and data labels
 * (sector and country names keyed by the data value). Shared by the server exports and the browser app.
 */
export type ChartLang = 'en' | 'ar';

export const CHART_NAMES = [
  'sector-employment',
  'qatarization-by-sector',
  'salary-trend',
  'salary-yoy',
  'attrition-by-sector',
  'gcc-unemployment',
  'top-sectors',
  'ewi',
] as const;
export type ChartName = (typeof CHART_NAMES)[number];

export function isChartName(value: string): value is ChartName {
  return (CHART_NAMES as readonly string[]).includes(value);
}

export type ChartUnit = 'persons' | 'percent' | 'qar';

interface LangTexts {
  titles: Record<ChartName, string>;
  units: Record<ChartUnit, string>;
  target: string;
  average: string;
  gccAverage: string;
  belowTarget: string;
  high: string;
  noValue: string;
  nouns: Record<'sector' | 'country' | 'year', [one: string, many: string]>;
  highest: string;
  lowest: string;
  from: string;
  to: string;
  listSep: string;
  sectors: Record<string, string>;
  countries: Record<string, string>;
}

const EN: LangTexts = {
  titles: {
    'sector-employment': 'Employment by sector, {year}',
    'qatarization-by-sector': 'Qatarization by sector, {year}',
    'salary-trend': 'Average monthly salary, {sector}',
    'salary-yoy': 'Salary change year on year, {sector}',
    'attrition-by-sector': 'Attrition by sector, {year}',
    'gcc-unemployment': 'Unemployment in the GCC, {year}',
    'top-sectors': 'Largest sectors by employment, {year}',
    ewi: 'Early-warning employment drop, {year}',
  },
  units: { persons: 'Employees', percent: 'Percent', qar: 'QAR per month' },
  target: 'Vision 2030 target ({value})',
  average: 'Average ({value})',
  gccAverage: 'GCC average ({value})',
  belowTarget: 'below target',
  high: 'high',
  noValue: '–',
  nouns: { sector: ['sector', 'sectors'], country: ['country', 'countries'], year: ['year', 'years'] },
  highest: 'highest',
  lowest: 'lowest',
  from: 'from',
  to: 'to',
  listSep: ', ',
  sectors: {},
  countries: {
    QAT: 'Qatar',
    SAU: 'Saudi Arabia',
    ARE: 'United Arab Emirates',
    KWT: 'Kuwait',
    BHR: 'Bahrain',
    OMN: 'Oman',
  },
};

const AR: LangTexts = {
  titles: {
    'sector-employment': 'التوظيف حسب القطاع، {year}',
    'qatarization-by-sector': 'التقطير حسب القطاع، {year}',
    'salary-trend': 'متوسط الراتب الشهري، {sector}',
    'salary-yoy': 'التغير السنوي في الراتب، {sector}',
    'attrition-by-sector': 'معدل ترك العمل حسب القطاع، {year}',
    'gcc-unemployment': 'البطالة في دول مجلس التعاون، {year}',
    'top-sectors': 'أكبر القطاعات توظيفاً، {year}',
    ewi: 'الإنذار المبكر لانخفاض التوظيف، {year}',
  },
  units: { persons: 'عدد الموظفين', percent: 'نسبة مئوية', qar: 'ريال قطري شهرياً' },
  target: 'هدف رؤية 2030 ({value})',
  average: 'المتوسط ({value})',
  gccAverage: 'متوسط دول المجلس ({value})',
  belowTarget: 'دون الهدف',
  high: 'مرتفع',
  noValue: '–',
  nouns: { sector: ['قطاع', 'قطاعات'], country: ['دولة', 'دول'], year: ['سنة', 'سنوات'] },
  highest: 'الأعلى',
  lowest: 'الأدنى',
  from: 'من',
  to: 'إلى',
  listSep: '، ',
  sectors: {
    Energy: 'الطاقة',
    Construction: 'البناء والتشييد',
    Finance: 'المالية',
    Healthcare: 'الرعاية الصحية',
    Hospitality: 'الضيافة',
    Education: 'التعليم',
    ICT: 'الاتصالات وتقنية المعلومات',
    Public: 'القطاع العام',
    Manufacturing: 'الصناعة التحويلية',
    Transport: 'النقل',
  },
  countries: {
    QAT: 'قطر',
    SAU: 'السعودية',
    ARE: 'الإمارات',
    KWT: 'الكويت',
    BHR: 'البحرين',
    OMN: 'عُمان',
  },
};

const TEXTS: Record<ChartLang, LangTexts> = { en: EN, ar: AR };

export function chartTexts(lang: ChartLang): LangTexts {
  return TEXTS[lang];
}

/** `{name}` placeholders replaced; unknown placeholders stay as written. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}

export function chartTitle(chart: ChartName, lang: ChartLang, values: Record<string, string | number>): string {
  return fill(TEXTS[lang].titles[chart], values);
}

/** Sector name in the language; unknown values are shown as given. */
export function sectorLabel(sector: string, lang: ChartLang): string {
  return TEXTS[lang].sectors[sector] ?? sector;
}

/** Country name from ISO3 in the language; unknown codes are shown as given. */
export function countryLabel(iso3: string, lang: ChartLang): string {
  return TEXTS[lang].countries[iso3] ?? TEXTS.en.countries[iso3] ?? iso3;
}
