/* names.c -- wire codes with their zh-CN and English names: one row per code. */
#include "names.h"

#include <stdio.h>
#include <string.h>

#include "report.h"

#define ALIASES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The zh-CN labels of roles and destinations are those the dashboard shows
 * (web/www/i18n-dashboard.js); the others follow common hospital usage. */
static const struct name_entry departments[] = {
    {"internal", "内科", "Internal medicine", ALIASES("内", "internal medicine", "medicine")},
    {"surgery", "外科", "Surgery", ALIASES("外", "surgical")},
    {"obgyn", "妇产科", "Obstetrics & gynaecology",
     ALIASES("妇科", "产科", "ob/gyn", "ob-gyn", "gynaecology", "gynecology", "obstetrics")},
    {"pediatrics", "儿科", "Paediatrics", ALIASES("小儿科", "paediatrics", "pediatric")},
    {"ophthalmology", "眼科", "Ophthalmology", ALIASES("eye", "eyes")},
    {"tcm", "中医", "Traditional Chinese medicine",
     ALIASES("中医科", "chinese medicine")},
    {"dental", "口腔", "Dental", ALIASES("口腔科", "牙科", "dentistry", "stomatology")},
    {"general", "全科", "General practice", ALIASES("全科医学", "gp")},
    {"other", "其他", "Other", ALIASES("其它")},
    {NULL, NULL, NULL, NULL},
};
static const struct name_entry destinations[] = {
    {"township_health_center", "乡镇卫生院", "Township health centre",
     ALIASES("卫生院", "乡卫生院", "镇卫生院", "township", "township health centre",
             "township hc")},
    {"county_hospital", "县医院", "County hospital",
     ALIASES("县级医院", "县人民医院", "county")},
    {"city_hospital", "市医院", "City hospital", ALIASES("市级医院", "市人民医院", "city")},
    {NULL, NULL, NULL, NULL},
};
static const struct name_entry urgencies[] = {
    {"routine", "常规", "Routine", ALIASES("普通", "一般", "不急", "normal")},
    {"urgent", "加急", "Urgent", ALIASES("急", "尽快")},
    {"emergency", "紧急", "Emergency", ALIASES("危急", "急诊", "急救")},
    {NULL, NULL, NULL, NULL},
};
static const struct name_entry roles[] = {
    {"doctor", "医生", "Doctor", ALIASES("医师", "大夫")},
    {"nurse", "护士", "Nurse", ALIASES("护师")},
    {"pharmacist", "药师", "Pharmacist", ALIASES("药剂师")},
    {"technician", "技师", "Technician", ALIASES("检验师", "技术员")},
    {"health_promoter", "健康宣传员", "Health promoter",
     ALIASES("健康宣教员", "宣传员", "宣教员", "promoter")},
    {"support", "后勤", "Support", ALIASES("后勤保障", "司机", "logistics", "driver")},
    {NULL, NULL, NULL, NULL},
};
const char *const names_sex_codes[] = {"F", "M", NULL};
static const struct name_entry sexes[] = {
    {"F", "女", "Female", ALIASES("女性")},
    {"M", "男", "Male", ALIASES("男性")},
    {NULL, NULL, NULL, NULL},
};

const struct names_table names_department = {"department", "科室", "department",
                                             department_names, departments};
const struct names_table names_destination = {"destination", "转诊去向", "destination",
                                              destination_names, destinations};
const struct names_table names_urgency = {"urgency", "紧急程度", "urgency", urgency_names,
                                          urgencies};
const struct names_table names_role = {"role", "角色", "role", role_names, roles};
const struct names_table names_sex = {"sex", "性别", "sex", names_sex_codes, sexes};

const struct names_table *const names_tables[] = {&names_department, &names_destination,
                                                  &names_urgency, &names_role, &names_sex,
                                                  NULL};

const struct names_table *names_table(const char *field)
{
    for (int i = 0; names_tables[i]; i++)
        if (strcmp(names_tables[i]->field, field) == 0)
            return names_tables[i];
    return NULL;
}

const struct names_table *names_for_codes(const char *const *codes)
{
    for (int i = 0; names_tables[i]; i++)
        if (names_tables[i]->codes == codes)
            return names_tables[i];
    return NULL;
}

static char fold(char c)
{
    if (c >= 'A' && c <= 'Z')
        return (char)(c - 'A' + 'a');
    return c == ' ' || c == '-' ? '_' : c;
}

/* Whether word[0..len) is name, ignoring ASCII case and ' ' '-' '_'. Bytes of
 * other characters (UTF-8 of 内科) compare exactly. */
static int same(const char *word, size_t len, const char *name)
{
    size_t i = 0;
    for (; i < len && name[i]; i++)
        if (fold(word[i]) != fold(name[i]))
            return 0;
    return i == len && !name[i];
}

const char *names_resolve(const struct names_table *t, const char *word)
{
    if (!t || !word)
        return NULL;
    while (*word == ' ')
        word++;
    size_t len = strlen(word);
    while (len && word[len - 1] == ' ')
        len--;
    if (len == 0)
        return NULL;
    for (const struct name_entry *e = t->entries; e->code; e++) {
        if (same(word, len, e->code) || same(word, len, e->zh) || same(word, len, e->en))
            return e->code;
        for (int i = 0; e->aliases && e->aliases[i]; i++)
            if (same(word, len, e->aliases[i]))
                return e->code;
    }
    return NULL;
}

const struct name_entry *names_entry(const struct names_table *t, const char *code)
{
    for (const struct name_entry *e = t && code ? t->entries : NULL; e && e->code; e++)
        if (strcmp(e->code, code) == 0)
            return e;
    return NULL;
}

const char *names_zh(const struct names_table *t, const char *code)
{
    const struct name_entry *e = names_entry(t, code);
    return e ? e->zh : code;
}

const char *names_en(const struct names_table *t, const char *code)
{
    const struct name_entry *e = names_entry(t, code);
    return e ? e->en : code;
}

const char *names_list(const struct names_table *t, char *buf, size_t n)
{
    size_t used = 0;
    if (n == 0)
        return buf;
    buf[0] = '\0';
    for (const struct name_entry *e = t->entries; e->code; e++) {
        int w = snprintf(buf + used, n - used, "%s%s %s %s", used ? ", " : "", e->code, e->zh,
                         e->en);
        if (w < 0 || (size_t)w >= n - used) {
            buf[used] = '\0'; /* whole rows only: never half a character */
            break;
        }
        used += (size_t)w;
    }
    return buf;
}
