/* gh-seed: fills a Gatehouse database with realistic back-office users for benchmarks.
 *
 *   gh-seed --db PATH|URL [--users N] [--providers P] [--batch B] [--seed S]
 *
 * PATH is a SQLite file; a postgresql:// URL seeds PostgreSQL through the same driver (the trigram
 * index is pg_trgm's there, kept by PostgreSQL itself; the seed ends with VACUUM ANALYZE).
 * Creates or migrates the database (gh_db_open + gh_db_migrate), adds P service providers with
 * platform accounts, sub-accounts and roles, then inserts N users through one prepared INSERT in
 * transactions of B rows. Every column is filled the way store/users.c fills it (username_key is
 * the lower-cased username, sort_name is lower(first || ' ' || last), search_key and search_grams
 * come from gh_store_search_fields()); the search indexes are kept by the schema's own triggers
 * (SQLite) or by PostgreSQL. About a fifth of the users have their names in Chinese characters
 * (李 伟), with a pinyin username and e-mail address, as Chinese staff accounts often do. Names
 * come from built-in lists of common English and pinyin names, picked with a skew so that, as in
 * real data, a few surnames are very common. The output is deterministic for a given --seed.
 * Refuses a database that already holds users or tenants. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/auth.h"
#include "model/model.h"
#include "db/db.h"
#include "store/store.h"

#define DAY  86400LL
#define YEAR (365 * DAY)

/* ---- deterministic random numbers (splitmix64) ---- */

static uint64_t rng_state = 42;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t rnd_below(uint32_t n)
{
    return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32);
}

static int64_t rnd_range(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* True with probability pct percent (fractions allowed). */
static int chance(double pct)
{
    return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0) * 100.0 < pct;
}

/* Index into a list ordered by frequency: early entries are picked much more often. */
static uint32_t rnd_skewed(uint32_t n)
{
    double u = (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
    uint32_t i = (uint32_t)(u * u * (double)n);
    return i < n ? i : n - 1;
}

/* ---- names (ordered roughly by frequency) ---- */

static const char *const en_first[] = {
    "James",     "Mary",      "John",       "Patricia", "Robert",    "Jennifer", "Michael",
    "Linda",     "William",   "Elizabeth",  "David",    "Barbara",   "Richard",  "Susan",
    "Joseph",    "Jessica",   "Thomas",     "Sarah",    "Charles",   "Karen",    "Christopher",
    "Nancy",     "Daniel",    "Lisa",       "Matthew",  "Betty",     "Anthony",  "Margaret",
    "Mark",      "Sandra",    "Donald",     "Ashley",   "Steven",    "Kimberly", "Paul",
    "Emily",     "Andrew",    "Donna",      "Joshua",   "Michelle",  "Kenneth",  "Dorothy",
    "Kevin",     "Carol",     "Brian",      "Amanda",   "George",    "Melissa",  "Timothy",
    "Deborah",   "Ronald",    "Stephanie",  "Edward",   "Rebecca",   "Jason",    "Sharon",
    "Jeffrey",   "Laura",     "Ryan",       "Cynthia",  "Jacob",     "Kathleen", "Gary",
    "Amy",       "Nicholas",  "Angela",     "Eric",     "Shirley",   "Jonathan", "Anna",
    "Stephen",   "Brenda",    "Larry",      "Pamela",   "Justin",    "Emma",     "Scott",
    "Nicole",    "Brandon",   "Helen",      "Benjamin", "Samantha",  "Samuel",   "Katherine",
    "Gregory",   "Christine", "Alexander",  "Debra",    "Frank",     "Rachel",   "Patrick",
    "Carolyn",   "Raymond",   "Janet",      "Jack",     "Catherine", "Dennis",   "Maria",
    "Jerry",     "Heather",   "Tyler",      "Diane",    "Aaron",     "Ruth",     "Jose",
    "Julie",     "Adam",      "Olivia",     "Nathan",   "Joyce",     "Henry",    "Virginia",
    "Douglas",   "Victoria",  "Zachary",    "Kelly",    "Peter",     "Lauren",   "Kyle",
    "Christina", "Ethan",     "Joan",       "Walter",   "Evelyn",    "Noah",     "Judith",
    "Jeremy",    "Megan",     "Christian",  "Andrea",   "Keith",     "Cheryl",   "Roger",
    "Hannah",    "Terry",     "Jacqueline", "Gerald",   "Martha",    "Harold",   "Gloria",
    "Sean",      "Teresa",    "Austin",     "Ann",      "Carl",      "Sara",     "Arthur",
    "Madison",   "Lawrence",  "Frances",    "Dylan",    "Kathryn",   "Jesse",    "Janice",
    "Jordan",    "Jean",      "Bryan",      "Abigail",  "Billy",     "Alice",    "Joe",
    "Julia",     "Bruce",     "Judy",       "Gabriel",  "Sophia",    "Logan",    "Grace",
    "Albert",    "Denise",    "Willie",     "Amber",    "Alan",      "Doris",    "Juan",
    "Marilyn",   "Wayne",     "Danielle",   "Elijah",   "Beverly",   "Randy",    "Isabella",
    "Roy",       "Theresa",   "Vincent",    "Diana",    "Ralph",     "Natalie",  "Eugene",
    "Brittany",  "Russell",   "Charlotte",  "Bobby",    "Marie",     "Mason",    "Kayla",
    "Philip",    "Alexis",    "Louis",      "Lori",     "Oliver",    "Chloe",    "Harry",
    "Sophie",    "Liam",      "Ella",       "Lucas",    "Mia",       "Owen",     "Zoe",
};

static const char *const en_last[] = {
    "Smith",     "Johnson",   "Williams",   "Brown",      "Jones",      "Garcia",   "Miller",
    "Davis",     "Rodriguez", "Martinez",   "Hernandez",  "Lopez",      "Gonzalez", "Wilson",
    "Anderson",  "Thomas",    "Taylor",     "Moore",      "Jackson",    "Martin",   "Lee",
    "Perez",     "Thompson",  "White",      "Harris",     "Sanchez",    "Clark",    "Ramirez",
    "Lewis",     "Robinson",  "Walker",     "Young",      "Allen",      "King",     "Wright",
    "Scott",     "Torres",    "Nguyen",     "Hill",       "Flores",     "Green",    "Adams",
    "Nelson",    "Baker",     "Hall",       "Rivera",     "Campbell",   "Mitchell", "Carter",
    "Roberts",   "Gomez",     "Phillips",   "Evans",      "Turner",     "Diaz",     "Parker",
    "Cruz",      "Edwards",   "Collins",    "Reyes",      "Stewart",    "Morris",   "Morales",
    "Murphy",    "Cook",      "Rogers",     "Gutierrez",  "Ortiz",      "Morgan",   "Cooper",
    "Peterson",  "Bailey",    "Reed",       "Kelly",      "Howard",     "Ramos",    "Kim",
    "Cox",       "Ward",      "Richardson", "Watson",     "Brooks",     "Chavez",   "Wood",
    "James",     "Bennett",   "Gray",       "Mendoza",    "Ruiz",       "Hughes",   "Price",
    "Alvarez",   "Castillo",  "Sanders",    "Patel",      "Myers",      "Ross",     "Foster",
    "Jimenez",   "Powell",    "Jenkins",    "Perry",      "Russell",    "Sullivan", "Bell",
    "Coleman",   "Butler",    "Henderson",  "Barnes",     "Gonzales",   "Fisher",   "Vasquez",
    "Simmons",   "Romero",    "Jordan",     "Patterson",  "Alexander",  "Hamilton", "Graham",
    "Reynolds",  "Griffin",   "Wallace",    "Moreno",     "West",       "Cole",     "Hayes",
    "Bryant",    "Herrera",   "Gibson",     "Ellis",      "Tran",       "Medina",   "Aguilar",
    "Stevens",   "Murray",    "Ford",       "Castro",     "Marshall",   "Owens",    "Harrison",
    "Fernandez", "McDonald",  "Woods",      "Washington", "Kennedy",    "Wells",    "Vargas",
    "Henry",     "Freeman",   "Webb",       "Tucker",     "Guzman",     "Burns",    "Crawford",
    "Olson",     "Simpson",   "Porter",     "Hunter",     "Gordon",     "Mendez",   "Silva",
    "Shaw",      "Snyder",    "Mason",      "Dixon",      "Munoz",      "Hunt",     "Hicks",
    "Holmes",    "Palmer",    "Wagner",     "Black",      "Robertson",  "Boyd",     "Rose",
    "Stone",     "Salazar",   "Fox",        "Warren",     "Mills",      "Meyer",    "Rice",
    "Schmidt",   "Garza",     "Daniels",    "Ferguson",   "Nichols",    "Stephens", "Soto",
    "Weaver",    "Ryan",      "Gardner",    "Payne",      "Grant",      "Dunn",     "Kelley",
    "Spencer",   "Hawkins",   "Arnold",     "Pierce",     "Hansen",     "Peters",   "Santos",
    "Hart",      "Bradley",   "Knight",     "Elliott",    "Cunningham", "Duncan",   "Armstrong",
};

static const char *const py_first[] = {
    "Wei",      "Fang",    "Na",       "Min",      "Jing",     "Lei",      "Yan",      "Jie",
    "Tao",      "Ming",    "Chao",     "Qiang",    "Jun",      "Yong",     "Hui",      "Ping",
    "Gang",     "Xia",     "Hua",      "Xiaoming", "Xiaohong", "Xiaoli",   "Xiaoyan",  "Xiaojun",
    "Xiaowei",  "Jianhua", "Jianguo",  "Jianjun",  "Zhiwei",   "Zhiqiang", "Zhihao",   "Haoran",
    "Yuxuan",   "Zihan",   "Yichen",   "Zixuan",   "Yutong",   "Xinyi",    "Yuhan",    "Jiayi",
    "Jiahui",   "Jiaxin",  "Mengyao",  "Siyu",     "Shiyu",    "Ruoxi",    "Yiran",    "Tianyu",
    "Haoyu",    "Junjie",  "Jiahao",   "Yuchen",   "Zhiyuan",  "Wenjie",   "Wenbo",    "Wenjing",
    "Wenhui",   "Lihua",   "Lijuan",   "Lina",     "Liping",   "Xiuying",  "Guiying",  "Yuying",
    "Guilan",   "Yulan",   "Shulan",   "Fenglan",  "Hongmei",  "Yumei",    "Dongmei",  "Xuemei",
    "Chunmei",  "Haiyan",  "Chunyan",  "Xiuzhen",  "Yuzhen",   "Guoqiang", "Guohua",   "Weiguo",
    "Hongwei",  "Haitao",  "Haibo",    "Haifeng",  "Jianping", "Jianming", "Xiaofeng", "Xiaobo",
    "Xiaodong", "Xiaoyu",  "Yuqing",   "Yuting",   "Tingting", "Lili",     "Jingjing", "Yingying",
    "Qian",     "Rui",     "Kai",      "Hao",      "Bo",       "Peng",     "Fei",      "Dan",
    "Xin",      "Yu",      "Jia",      "Yi",       "Shuai",    "Liang",    "Bin",      "Bing",
    "Cheng",    "Dong",    "Feng",     "Guang",    "Hong",     "Jian",     "Kun",      "Lan",
    "Mei",      "Ning",    "Qing",     "Rong",     "Shan",     "Ting",     "Wen",      "Xue",
    "Ying",     "Yun",     "Zhen",     "Mingyu",   "Minghao",  "Shuyi",    "Ziyi",     "Zhenyu",
    "Yufei",    "Yunfei",  "Zhaoyang", "Chenxi",   "Ruixin",   "Keyu",     "Xinran",   "Yixuan",
    "Muchen",   "Yanan",   "Yaqi",     "Jiajun",   "Jiaming",  "Boyang",   "Tianhao",  "Hanyu",
    "Yiming",   "Xuan",
};

static const char *const py_last[] = {
    "Wang",  "Li",    "Zhang", "Liu",  "Chen",  "Yang",   "Huang", "Zhao",  "Wu",  "Zhou",
    "Xu",    "Sun",   "Ma",    "Zhu",  "Hu",    "Guo",    "He",    "Gao",   "Lin", "Luo",
    "Zheng", "Liang", "Xie",   "Song", "Tang",  "Han",    "Feng",  "Deng",  "Cao", "Peng",
    "Zeng",  "Xiao",  "Tian",  "Dong", "Pan",   "Yuan",   "Cai",   "Jiang", "Yu",  "Du",
    "Ye",    "Cheng", "Wei",   "Su",   "Lyu",   "Ding",   "Ren",   "Lu",    "Yao", "Shen",
    "Zhong", "Cui",   "Tan",   "Fan",  "Liao",  "Shi",    "Jin",   "Jia",   "Xia", "Fu",
    "Fang",  "Zou",   "Xiong", "Bai",  "Meng",  "Qin",    "Qiu",   "Hou",   "Yin", "Xue",
    "Yan",   "Duan",  "Lei",   "Long", "Shao",  "Chang",  "Wan",   "Qian",  "Dai", "Kong",
    "Mao",   "Hao",   "Gu",    "Tao",  "Hong",  "Mo",     "Qi",    "Gong",  "Wen", "Niu",
    "Zhan",  "Shang", "Ou",    "Yue",  "Ge",    "Zhuang", "Ji",    "Xing",  "Shu", "Pei",
    "Lan",   "Kang",  "Wong",  "Chan", "Leung", "Cheung", "Lau",   "Ho",    "Ng",  "Tse",
    "Yip",   "Chow",  "Tsang", "Kwok", "Lam",   "Lai",
};

/* The same surnames in characters, entry for entry (the Cantonese spellings at the end too). */
static const char *const han_last[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "韩", "冯", "邓", "曹", "彭",
    "曾", "肖", "田", "董", "潘", "袁", "蔡", "蒋", "余", "杜", "叶", "程", "魏", "苏", "吕",
    "丁", "任", "卢", "姚", "沈", "钟", "崔", "谭", "范", "廖", "石", "金", "贾", "夏", "付",
    "方", "邹", "熊", "白", "孟", "秦", "邱", "侯", "尹", "薛", "闫", "段", "雷", "龙", "邵",
    "常", "万", "钱", "戴", "孔", "毛", "郝", "顾", "陶", "洪", "莫", "齐", "龚", "文", "牛",
    "詹", "尚", "欧", "岳", "葛", "庄", "纪", "邢", "舒", "裴", "蓝", "康", "黄", "陈", "梁",
    "张", "刘", "何", "吴", "谢", "叶", "周", "曾", "郭", "林", "黎",
};

/* Given names in characters, in the order of py_first (its first entries are the same names). */
static const char *const han_first[] = {
    "伟",   "芳",   "娜",   "敏",   "静",   "磊",   "艳",   "杰",   "涛",   "明",   "超",   "强",
    "军",   "勇",   "辉",   "平",   "刚",   "霞",   "华",   "晓明", "晓红", "晓丽", "晓燕", "晓军",
    "晓伟", "建华", "建国", "建军", "志伟", "志强", "志豪", "浩然", "宇轩", "子涵", "一晨", "子轩",
    "雨桐", "欣怡", "雨涵", "佳怡", "佳慧", "佳欣", "梦瑶", "思雨", "诗雨", "若曦", "怡然", "天宇",
    "浩宇", "俊杰", "家豪", "雨辰", "志远", "文杰", "文博", "文静", "文慧", "丽华", "丽娟", "丽娜",
    "丽萍", "秀英", "桂英", "玉英", "桂兰", "玉兰", "淑兰", "凤兰", "红梅", "玉梅", "冬梅", "雪梅",
    "春梅", "海燕", "春燕", "秀珍", "玉珍", "国强", "国华", "卫国", "宏伟", "海涛", "海波", "海峰",
    "建平", "建明", "晓峰", "晓波", "晓东", "晓宇", "雨晴", "雨婷", "婷婷", "丽丽", "晶晶", "莹莹",
    "倩",   "瑞",   "凯",   "浩",   "波",   "鹏",   "飞",   "丹",   "鑫",   "宇",   "佳",   "毅",
    "帅",   "亮",   "斌",   "冰",   "成",   "东",   "峰",   "光",   "宏",   "建",   "坤",   "兰",
    "梅",   "宁",   "青",   "荣",   "珊",   "婷",   "文",   "雪",   "英",   "云",   "珍",   "明宇",
    "明浩", "书怡", "子怡", "振宇", "宇飞", "云飞", "朝阳", "晨曦", "瑞欣", "可欣", "欣然", "艺轩",
    "沐晨", "亚楠", "雅琪", "嘉俊", "嘉明", "博洋", "天浩", "涵宇", "一鸣", "轩",
};
#define N_HAN_LAST  (sizeof han_last / sizeof *han_last)
#define N_HAN_FIRST (sizeof han_first / sizeof *han_first)

#define N_EN_FIRST (sizeof en_first / sizeof *en_first)
#define N_EN_LAST  (sizeof en_last / sizeof *en_last)
#define N_PY_FIRST (sizeof py_first / sizeof *py_first)
#define N_PY_LAST  (sizeof py_last / sizeof *py_last)
#define N_FIRST    (N_EN_FIRST + N_PY_FIRST)
#define N_LAST     (N_EN_LAST + N_PY_LAST)

/* The combined lists: English entries first, then pinyin. */
static const char *first_at(uint32_t i)
{
    return i < N_EN_FIRST ? en_first[i] : py_first[i - N_EN_FIRST];
}

static const char *last_at(uint32_t i)
{
    return i < N_EN_LAST ? en_last[i] : py_last[i - N_EN_LAST];
}

/* Usernames are first<sep>last<n> with n counted per name pair, so they are unique only when no
 * name appears twice in a combined list. */
static int check_unique(const char *what, const char *(*at)(uint32_t), uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++)
            if (strcasecmp(at(i), at(j)) == 0) {
                fprintf(stderr, "gh-seed: %s name %s is listed twice\n", what, at(i));
                return -1;
            }
    return 0;
}

/* ---- places ---- */

typedef struct region {
    const char *country, *timezone, *cc; /* cc: E.164 country code */
    int weight;
} region;

static const region en_regions[] = {
    {"US", "America/New_York", "1", 18},    {"US", "America/Chicago", "1", 10},
    {"US", "America/Denver", "1", 4},       {"US", "America/Los_Angeles", "1", 12},
    {"GB", "Europe/London", "44", 16},      {"CA", "America/Toronto", "1", 6},
    {"CA", "America/Vancouver", "1", 3},    {"AU", "Australia/Sydney", "61", 6},
    {"AU", "Australia/Melbourne", "61", 4}, {"IE", "Europe/Dublin", "353", 3},
    {"DE", "Europe/Berlin", "49", 3},       {"SG", "Asia/Singapore", "65", 4},
    {"NZ", "Pacific/Auckland", "64", 2},    {"", "UTC", "", 2},
};

static const region zh_regions[] = {
    {"CN", "Asia/Shanghai", "86", 60},
    {"HK", "Asia/Hong_Kong", "852", 12},
    {"TW", "Asia/Taipei", "886", 8},
    {"SG", "Asia/Singapore", "65", 8},
    {"US", "America/Los_Angeles", "1", 5},
    {"MO", "Asia/Macau", "853", 2},
    {"", "UTC", "", 1},
};

static const region *pick_region(const region *r, size_t n)
{
    int total = 0;
    for (size_t i = 0; i < n; i++)
        total += r[i].weight;
    int x = (int)rnd_below((uint32_t)total);
    for (size_t i = 0; i < n; i++) {
        if (x < r[i].weight)
            return &r[i];
        x -= r[i].weight;
    }
    return &r[n - 1];
}

static void append_digits(char *p, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (char)('0' + rnd_below(10));
    p[n] = '\0';
}

/* A plausible mobile number in E.164 form for the region's country code. */
static void make_phone(const region *r, char *buf, size_t cap)
{
    static const struct {
        const char *cc, *prefix;
        int digits;
    } plans[] = {
        {"1", "", 10},   {"44", "7", 9}, {"86", "1", 10}, {"852", "", 8},
        {"886", "9", 8}, {"65", "", 8},  {"61", "4", 8},  {"353", "8", 8},
        {"49", "15", 9}, {"64", "2", 8}, {"853", "6", 7},
    };
    buf[0] = '\0';
    if (r->cc[0] == '\0')
        return;
    for (size_t i = 0; i < sizeof plans / sizeof *plans; i++) {
        if (strcmp(plans[i].cc, r->cc) != 0)
            continue;
        int n = snprintf(buf, cap, "+%s%s", r->cc, plans[i].prefix);
        if (n < 0 || (size_t)n + (size_t)plans[i].digits + 1 > cap)
            return;
        /* first national digit never 0 or 1 where the plan has no fixed prefix */
        if (plans[i].prefix[0] == '\0') {
            buf[n++] = (char)('2' + rnd_below(8));
            append_digits(buf + n, plans[i].digits - 1);
        } else {
            append_digits(buf + n, plans[i].digits);
            if (strcmp(r->cc, "86") == 0) /* mainland mobiles: 13x-19x */
                buf[n] = (char)('3' + rnd_below(7));
        }
        return;
    }
}

static const char *pick_weighted(const char *const *names, const int *weights, size_t n)
{
    int total = 0;
    for (size_t i = 0; i < n; i++)
        total += weights[i];
    int x = (int)rnd_below((uint32_t)total);
    for (size_t i = 0; i < n; i++) {
        if (x < weights[i])
            return names[i];
        x -= weights[i];
    }
    return names[n - 1];
}

static const char *pick_domain(int zh, const char *company)
{
    static const char *const en_dom[] = {"gmail.com",  "outlook.com", "yahoo.com", "hotmail.com",
                                         "icloud.com", "proton.me",   "aol.com"};
    static const int en_w[] = {34, 14, 9, 7, 6, 2, 1};
    static const char *const zh_dom[] = {"qq.com",      "163.com",  "126.com",     "gmail.com",
                                         "foxmail.com", "sina.com", "outlook.com", "yeah.net"};
    static const int zh_w[] = {30, 18, 8, 12, 5, 4, 6, 2};
    if (company != NULL && chance(30))
        return company;
    return zh ? pick_weighted(zh_dom, zh_w, sizeof zh_w / sizeof *zh_w)
              : pick_weighted(en_dom, en_w, sizeof en_w / sizeof *en_w);
}

static void lower_copy(char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    for (; src[i] != '\0' && i + 1 < cap; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

/* A personal or work address in one of the common local-part styles. */
static void make_email(char *buf, size_t cap, const char *first, const char *last, int zh,
                       const char *company)
{
    char f[32], l[32];
    lower_copy(f, first, sizeof f);
    lower_copy(l, last, sizeof l);
    const char *dom = pick_domain(zh, company);
    int n = (int)rnd_below(100);
    if (strcmp(dom, "qq.com") == 0 && chance(60)) {
        char digits[16];
        append_digits(digits, 6 + (int)rnd_below(5));
        digits[0] = (char)('1' + rnd_below(9));
        snprintf(buf, cap, "%s@qq.com", digits);
        return;
    }
    switch (company != NULL && dom == company ? rnd_below(2) : rnd_below(6)) {
    case 0:
        snprintf(buf, cap, "%s.%s@%s", f, l, dom);
        break;
    case 1:
        snprintf(buf, cap, "%c%s@%s", f[0], l, dom);
        break;
    case 2:
        snprintf(buf, cap, "%s%s%02d@%s", f, l, n, dom);
        break;
    case 3:
        snprintf(buf, cap, "%s_%s%d@%s", f, l, n, dom);
        break;
    case 4:
        snprintf(buf, cap, "%s.%s%d@%s", l, f, n, dom);
        break;
    default:
        snprintf(buf, cap, "%s%d@%s", f, 1960 + (int)rnd_below(46), dom);
        break;
    }
}

/* ---- tenants and roles ---- */

typedef struct provider {
    int64_t id;
    const char *domain;
    int64_t accounts[16];
    int64_t subs[16][4];
    int n_accounts, n_subs;
    int64_t roles[3]; /* viewer, operator (platform_account kind), platform user */
} provider;

static const char *const provider_names[] = {
    "Northwind Cloud",     "Contoso Payments", "Bluefin Games",  "Jade River Media",
    "Harbor Logistics",    "Summit Health",    "Lotus Commerce", "Redwood Telecom",
    "Golden Panda Travel", "Silverline Bank",
};
static const char *const provider_domains[] = {
    "northwind.cloud",     "contosopay.com",     "bluefingames.com", "jaderiver.cn",
    "harborlogistics.com", "summithealth.org",   "lotuscommerce.cn", "redwoodtel.com",
    "goldenpanda.com.cn",  "silverlinebank.com",
};
static const char *const account_names[] = {
    "Retail APAC", "Retail EMEA", "Retail Americas", "Greater China", "Marketplace", "Mobile Apps",
    "Payments",    "Wholesale",   "Partners",        "Enterprise",    "Support",     "Logistics",
};
static const char *const sub_names[] = {"Production", "Staging", "Sandbox", "Analytics"};

static gh_err add_tenant(gh_db *db, gh_tenant_kind kind, int64_t parent, int64_t prov,
                         const char *name, int64_t now, int64_t *id)
{
    gh_tenant t = {.kind = kind,
                   .parent_id = parent,
                   .provider_id = prov,
                   .name = name,
                   .created_at = now - 3 * YEAR - rnd_range(0, 30 * DAY)};
    return gh_store_tenant_insert(db, &t, id);
}

static gh_err add_role(gh_db *db, int64_t prov, const char *name, gh_role_kind kind, uint64_t perms,
                       int64_t now, int64_t *id)
{
    gh_role r = {.provider_id = prov,
                 .name = name,
                 .description = "",
                 .kind = kind,
                 .permissions = perms,
                 .created_at = now - 3 * YEAR,
                 .updated_at = now - 3 * YEAR};
    return gh_store_role_insert(db, &r, id);
}

static gh_err make_providers(gh_db *db, provider *pv, int np, int64_t now)
{
    const uint64_t read =
        GH_PERM(USERS_READ) | GH_PERM(ROLES_READ) | GH_PERM(GROUPS_READ) | GH_PERM(TENANTS_READ);
    gh_err err = gh_db_begin(db);
    char name[96];
    for (int p = 0; p < np && err == GH_OK; p++) {
        const int n_names = (int)(sizeof provider_names / sizeof *provider_names);
        if (p < n_names) {
            snprintf(name, sizeof name, "%s", provider_names[p]);
            pv[p].domain = provider_domains[p];
        } else {
            snprintf(name, sizeof name, "Provider %d", p + 1);
            pv[p].domain = NULL; /* personal addresses only */
        }
        err = add_tenant(db, GH_TENANT_SERVICE_PROVIDER, 0, 0, name, now, &pv[p].id);
        pv[p].n_accounts = 6 + (int)rnd_below(7);
        pv[p].n_subs = 2 + (int)rnd_below(3);
        for (int a = 0; a < pv[p].n_accounts && err == GH_OK; a++) {
            err = add_tenant(db, GH_TENANT_PLATFORM_ACCOUNT, pv[p].id, pv[p].id, account_names[a],
                             now, &pv[p].accounts[a]);
            for (int s = 0; s < pv[p].n_subs && err == GH_OK; s++)
                err = add_tenant(db, GH_TENANT_SUB_ACCOUNT, pv[p].accounts[a], pv[p].id,
                                 sub_names[s], now, &pv[p].subs[a][s]);
        }
        if (err == GH_OK)
            err = add_role(db, pv[p].id, "Viewer", GH_ROLE_PLATFORM_ACCOUNT, read, now,
                           &pv[p].roles[0]);
        if (err == GH_OK)
            err = add_role(db, pv[p].id, "Operator", GH_ROLE_PLATFORM_ACCOUNT,
                           read | GH_PERM_USERS_ALL, now, &pv[p].roles[1]);
        if (err == GH_OK)
            err = add_role(db, pv[p].id, "Platform user", GH_ROLE_PLATFORM_USER,
                           GH_PERM(USERS_READ), now, &pv[p].roles[2]);
    }
    if (err == GH_OK)
        err = gh_db_commit(db);
    else
        gh_db_rollback(db);
    return err;
}

/* ---- users ---- */

#define SQL_USER_INSERT                                                                            \
    "INSERT INTO users (provider_id, username, username_key, first_name, last_name, email, "       \
    "phone, language, timezone, country, status, banned_until, failed_logins, login_enabled, "     \
    "enforce_sso, sso_source, sso_id, mfa_required, mfa_enrolled, is_superadmin, password_hash, "  \
    "must_change_password, access_level, access_all, access_account_id, sort_name, search_key, "   \
    "search_grams, last_login_at, created_at, updated_at, created_by, updated_by, version) "       \
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " \
    "?, ?, ?, ?, ?, ?) RETURNING id"
#define SQL_ACCESS_INSERT "INSERT INTO user_access (user_id, tenant_id) VALUES (?, ?)"
#define SQL_ROLE_INSERT   "INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)"

typedef struct seed_cfg {
    const char *db_path;
    long long users;
    int providers, batch;
    uint64_t seed;
} seed_cfg;

typedef struct user_row {
    int64_t provider_id; /* 0: platform */
    char username[96], username_key[96], first[32], last[32], email[160], phone[24];
    char sort_name[72], sso_id[40];
    const char *language, *timezone, *country, *status, *sso_source, *password_hash;
    const char *access_level;
    int64_t banned_until, failed_logins, last_login_at, created_at, updated_at, version;
    int login_enabled, enforce_sso, mfa_required, mfa_enrolled, must_change_password, access_all;
    int64_t access_account_id; /* 0: NULL */
    int64_t access_ids[2];
    int n_access_ids;
    int64_t role_id; /* 0: none */
} user_row;

typedef struct gen_state {
    uint32_t *pair_count; /* per (first, last) pair: usernames handed out */
    const provider *pv;
    int np;
    int64_t now, first_created;
    long long total;
    const char *hash;
} gen_state;

static void fill_access(user_row *u, const provider *p)
{
    uint32_t x = rnd_below(100);
    int a = (int)rnd_below((uint32_t)p->n_accounts);
    u->access_all = 0;
    u->access_account_id = 0;
    u->n_access_ids = 0;
    u->role_id = p->roles[rnd_below(100) < 70 ? 0 : 1];
    if (x < 35) {
        u->access_level = "provider";
    } else if (x < 70) {
        u->access_level = "account";
        u->access_all = 1;
    } else if (x < 85) {
        u->access_level = "account";
        u->access_ids[u->n_access_ids++] = p->accounts[a];
        if (p->n_accounts > 1 && chance(40))
            u->access_ids[u->n_access_ids++] = p->accounts[(a + 1) % p->n_accounts];
    } else {
        u->access_level = "sub_account";
        u->access_account_id = p->accounts[a];
        u->role_id = p->roles[2];
        if (chance(60)) {
            u->access_all = 1;
        } else {
            int s = (int)rnd_below((uint32_t)p->n_subs);
            u->access_ids[u->n_access_ids++] = p->subs[a][s];
            if (p->n_subs > 1 && chance(40))
                u->access_ids[u->n_access_ids++] = p->subs[a][(s + 1) % p->n_subs];
        }
    }
}

static void fill_times(user_row *u, gen_state *g, long long i)
{
    int64_t span = g->now - 30 * DAY - g->first_created;
    /* ids grow with created_at, as they do for organically created users */
    u->created_at = g->first_created + (int64_t)((double)span * (double)i / (double)g->total) +
                    rnd_range(0, 3600);
    u->last_login_at = 0;
    if (strcmp(u->status, "invited") != 0 && !chance(4)) {
        int64_t lo = g->now - YEAR > u->created_at ? g->now - YEAR : u->created_at;
        /* recent logins are more common than old ones */
        double r = (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
        u->last_login_at = g->now - (int64_t)(r * r * (double)(g->now - lo));
    }
    u->updated_at = u->created_at;
    u->version = 1;
    if (chance(35)) {
        u->updated_at = rnd_range(u->created_at, g->now - 60);
        u->version = 2 + rnd_below(4);
    }
}

static void make_user(user_row *u, gen_state *g, long long i)
{
    static const char *const statuses[] = {"active", "invited", "disabled"};
    static const int status_w[] = {88, 7, 5};
    static const char *const sso_sources[] = {"okta", "azure-ad", "google-workspace"};
    uint32_t kind = rnd_below(100), fi, li;
    int zh, han = 0;
    if (kind < 48) { /* English names */
        fi = rnd_skewed(N_EN_FIRST);
        li = rnd_skewed(N_EN_LAST);
        zh = chance(3);
    } else if (kind < 92) { /* pinyin names */
        fi = (uint32_t)N_EN_FIRST + rnd_skewed(N_PY_FIRST);
        li = (uint32_t)N_EN_LAST + rnd_skewed(N_PY_LAST);
        zh = chance(85);
        han = chance(45); /* 44 % x 45 %: a fifth of all users */
    } else {              /* an English given name with a Chinese surname, common in HK and SG */
        fi = rnd_skewed(N_EN_FIRST);
        li = (uint32_t)N_EN_LAST + rnd_skewed(N_PY_LAST);
        zh = chance(50);
    }
    snprintf(u->first, sizeof u->first, "%s", first_at(fi));
    snprintf(u->last, sizeof u->last, "%s", last_at(li));
    uint32_t n = g->pair_count[(size_t)fi * N_LAST + li]++;
    uint32_t sep = rnd_below(10);
    int caps = chance(12);
    char f[32], l[32];
    lower_copy(f, u->first, sizeof f);
    lower_copy(l, u->last, sizeof l);
    if (caps) {
        f[0] = (char)toupper((unsigned char)f[0]);
        l[0] = (char)toupper((unsigned char)l[0]);
    }
    char num[16] = "";
    if (n > 0)
        snprintf(num, sizeof num, "%u", n);
    snprintf(u->username, sizeof u->username, "%s%c%s%s", f,
             sep < 7   ? '.'
             : sep < 9 ? '_'
                       : '-',
             l, num);
    lower_copy(u->username_key, u->username, sizeof u->username_key);
    char sort_src[72];
    snprintf(sort_src, sizeof sort_src, "%s %s", u->first, u->last);
    lower_copy(u->sort_name, sort_src, sizeof u->sort_name);

    const provider *p = NULL;
    u->provider_id = 0;
    if (g->np > 0 && !chance(3)) {
        p = &g->pv[rnd_skewed((uint32_t)g->np)];
        u->provider_id = p->id;
    }
    make_email(u->email, sizeof u->email, u->first, u->last, zh,
               p != NULL ? p->domain : "example-operator.com");
    if (han) {
        snprintf(u->first, sizeof u->first, "%s",
                 han_first[(fi - (uint32_t)N_EN_FIRST) % (uint32_t)N_HAN_FIRST]);
        snprintf(u->last, sizeof u->last, "%s",
                 han_last[(li - (uint32_t)N_EN_LAST) % (uint32_t)N_HAN_LAST]);
        snprintf(u->sort_name, sizeof u->sort_name, "%s %s", u->first, u->last);
        zh = 1;
    }
    const region *r = zh ? pick_region(zh_regions, sizeof zh_regions / sizeof *zh_regions)
                         : pick_region(en_regions, sizeof en_regions / sizeof *en_regions);
    u->language = zh ? "zh" : "en";
    u->timezone = r->timezone;
    u->country = r->country;
    u->phone[0] = '\0';
    if (chance(80))
        make_phone(r, u->phone, sizeof u->phone);

    u->status = pick_weighted(statuses, status_w, 3);
    int invited = strcmp(u->status, "invited") == 0;
    u->password_hash = invited ? NULL : g->hash;
    u->must_change_password = !invited && chance(3);
    u->banned_until = 0;
    u->failed_logins = chance(10) ? rnd_range(1, 4) : 0;
    u->login_enabled = !chance(2);
    u->enforce_sso = 0;
    u->sso_source = NULL;
    u->sso_id[0] = '\0';
    if (p != NULL && chance(8)) {
        u->sso_source = sso_sources[rnd_below(3)];
        u->enforce_sso = chance(70);
        snprintf(u->sso_id, sizeof u->sso_id, "%016llx%08llx", (unsigned long long)rnd(),
                 (unsigned long long)(rnd() >> 32));
    }
    u->mfa_required = chance(20);
    u->mfa_enrolled = !invited && (u->mfa_required ? chance(85) : chance(10));
    fill_times(u, g, i);
    if (strcmp(u->status, "active") == 0 && chance(0.5)) {
        u->banned_until = g->now + rnd_range(600, 7 * DAY);
        u->failed_logins = 5;
    }
    if (p != NULL) {
        fill_access(u, p);
    } else {
        u->access_level = "platform";
        u->access_all = 0;
        u->access_account_id = 0;
        u->n_access_ids = 0;
        u->role_id = 0;
    }
}

static gh_err insert_link(gh_db *db, const char *sql, int64_t a, int64_t b)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        return err;
    gh_stmt_bind_int(st, 1, a);
    gh_stmt_bind_int(st, 2, b);
    bool row;
    err = gh_stmt_step(st, &row);
    gh_stmt_done(st);
    return err;
}

static gh_err insert_user(gh_db *db, const user_row *u)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, SQL_USER_INSERT, &st);
    if (err != GH_OK)
        return err;
    int i = 1;
    if (u->provider_id != 0)
        gh_stmt_bind_int(st, i++, u->provider_id);
    else
        gh_stmt_bind_null(st, i++);
    gh_stmt_bind_text(st, i++, u->username);
    gh_stmt_bind_text(st, i++, u->username_key);
    gh_stmt_bind_text(st, i++, u->first);
    gh_stmt_bind_text(st, i++, u->last);
    gh_stmt_bind_text(st, i++, u->email);
    gh_stmt_bind_text(st, i++, u->phone);
    gh_stmt_bind_text(st, i++, u->language);
    gh_stmt_bind_text(st, i++, u->timezone);
    gh_stmt_bind_text(st, i++, u->country);
    gh_stmt_bind_text(st, i++, u->status);
    gh_stmt_bind_int(st, i++, u->banned_until);
    gh_stmt_bind_int(st, i++, u->failed_logins);
    gh_stmt_bind_int(st, i++, u->login_enabled);
    gh_stmt_bind_int(st, i++, u->enforce_sso);
    gh_stmt_bind_text(st, i++, u->sso_source);
    gh_stmt_bind_text(st, i++, u->sso_source != NULL ? u->sso_id : NULL);
    gh_stmt_bind_int(st, i++, u->mfa_required);
    gh_stmt_bind_int(st, i++, u->mfa_enrolled);
    gh_stmt_bind_int(st, i++, 0); /* is_superadmin */
    gh_stmt_bind_text(st, i++, u->password_hash);
    gh_stmt_bind_int(st, i++, u->must_change_password);
    gh_stmt_bind_text(st, i++, u->access_level);
    gh_stmt_bind_int(st, i++, u->access_all);
    if (u->access_account_id != 0)
        gh_stmt_bind_int(st, i++, u->access_account_id);
    else
        gh_stmt_bind_null(st, i++);
    gh_stmt_bind_text(st, i++, u->sort_name);
    gh_arena *a = gh_arena_new();
    char *key, *grams;
    gh_store_search_fields(a, u->username, u->first, u->last, u->email, &key, &grams);
    gh_stmt_bind_text(st, i++, key);
    gh_stmt_bind_text(st, i++, grams);
    gh_arena_free(a);
    gh_stmt_bind_int(st, i++, u->last_login_at);
    gh_stmt_bind_int(st, i++, u->created_at);
    gh_stmt_bind_int(st, i++, u->updated_at);
    gh_stmt_bind_int(st, i++, 0); /* created_by: the system principal, as the CLI does */
    gh_stmt_bind_int(st, i++, 0);
    gh_stmt_bind_int(st, i++, u->version);
    bool row = false;
    err = gh_stmt_step(st, &row);
    int64_t id = row ? gh_stmt_int(st, 0) : 0;
    gh_stmt_done(st);
    if (err == GH_OK && id == 0)
        err = GH_EINTERNAL;
    for (int k = 0; err == GH_OK && k < u->n_access_ids; k++)
        err = insert_link(db, SQL_ACCESS_INSERT, id, u->access_ids[k]);
    if (err == GH_OK && u->role_id != 0)
        err = insert_link(db, SQL_ROLE_INSERT, id, u->role_id);
    if (err == GH_ECONFLICT)
        fprintf(stderr, "gh-seed: conflict inserting %s\n", u->username);
    return err;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static gh_err count_rows(gh_db *db, const char *sql, int64_t *n)
{
    gh_stmt *st = NULL;
    gh_err err = gh_db_prepare(db, sql, &st);
    if (err != GH_OK)
        return err;
    bool row = false;
    err = gh_stmt_step(st, &row);
    *n = row ? gh_stmt_int(st, 0) : 0;
    gh_stmt_done(st);
    return err;
}

static gh_err load_users(gh_db *db, const seed_cfg *cfg, gen_state *g)
{
    double t0 = now_s(), last = t0;
    long long done = 0;
    gh_err err = GH_OK;
    user_row u;
    while (done < cfg->users && err == GH_OK) {
        long long end = done + cfg->batch < cfg->users ? done + cfg->batch : cfg->users;
        if ((err = gh_db_begin(db)) != GH_OK)
            break;
        for (; done < end && err == GH_OK; done++) {
            make_user(&u, g, done);
            err = insert_user(db, &u);
        }
        if (err != GH_OK) {
            gh_db_rollback(db);
            break;
        }
        if ((err = gh_db_commit(db)) != GH_OK)
            break;
        if (done % 100000 == 0 || done == cfg->users) {
            double t = now_s();
            printf("  %9lld users  %7.1f s  %8.0f rows/s (last chunk %.0f rows/s)\n", done, t - t0,
                   (double)done / (t - t0),
                   (double)(done % 100000 == 0 ? 100000 : done % 100000) / (t - last));
            fflush(stdout);
            last = t;
        }
    }
    if (err != GH_OK) {
        fprintf(stderr, "gh-seed: insert failed after %lld users: %s\n", done, gh_err_str(err));
        return err;
    }
    double total = now_s() - t0;
    printf("inserted %lld users in %.1f s: %.0f rows/s\n", done, total, (double)done / total);
    return GH_OK;
}

static int usage(void)
{
    fputs("usage: gh-seed --db PATH [--users N (1000000)] [--providers P (5)] [--batch B (10000)]\n"
          "               [--seed S (42)]\n"
          "Creates or migrates PATH and adds N generated users; PATH must hold no users yet.\n",
          stderr);
    return 2;
}

static int parse_args(int argc, char **argv, seed_cfg *cfg)
{
    *cfg = (seed_cfg){.users = 1000000, .providers = 5, .batch = 10000, .seed = 42};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return -1;
        if (i + 1 >= argc)
            return -1;
        const char *v = argv[++i];
        char *end = NULL;
        long long n = strtoll(v, &end, 10);
        bool num_ok = end != v && *end == '\0' && n >= 0;
        if (strcmp(a, "--db") == 0)
            cfg->db_path = v;
        else if (strcmp(a, "--users") == 0 && num_ok)
            cfg->users = n;
        else if (strcmp(a, "--providers") == 0 && num_ok && n <= 1000)
            cfg->providers = (int)n;
        else if (strcmp(a, "--batch") == 0 && num_ok && n > 0 && n <= 10000000)
            cfg->batch = (int)n;
        else if (strcmp(a, "--seed") == 0 && num_ok)
            cfg->seed = (uint64_t)n;
        else
            return -1;
    }
    return cfg->db_path != NULL ? 0 : -1;
}

int main(int argc, char **argv)
{
    seed_cfg cfg;
    if (parse_args(argc, argv, &cfg) != 0)
        return usage();
    if (check_unique("first", first_at, (uint32_t)N_FIRST) != 0 ||
        check_unique("last", last_at, (uint32_t)N_LAST) != 0)
        return 1;
    rng_state = cfg.seed;
    if (gh_auth_init() != GH_OK)
        return 1;
    gh_db *db = NULL;
    int applied = 0;
    if (gh_db_open(cfg.db_path, &db) != GH_OK || gh_db_migrate(db, &applied) != GH_OK) {
        fprintf(stderr, "gh-seed: cannot open or migrate %s\n", cfg.db_path);
        gh_db_close(db);
        return 1;
    }
    int rc = 1;
    provider *pv = calloc(cfg.providers > 0 ? (size_t)cfg.providers : 1, sizeof *pv);
    uint32_t *pairs = calloc(N_FIRST * N_LAST, sizeof *pairs);
    int64_t n_users = 0, n_tenants = 0;
    if (pv == NULL || pairs == NULL)
        goto out;
    if (count_rows(db, "SELECT COUNT(*) FROM users", &n_users) != GH_OK ||
        count_rows(db, "SELECT COUNT(*) FROM tenants", &n_tenants) != GH_OK)
        goto out;
    if (n_users > 0 || n_tenants > 0) {
        fprintf(stderr, "gh-seed: %s already holds %lld users and %lld tenants; seed a new file\n",
                cfg.db_path, (long long)n_users, (long long)n_tenants);
        goto out;
    }
    /* a larger page cache for this connection only: the seven users indexes and the FTS index
     * are written in random key order (PostgreSQL: its shared_buffers serve instead) */
    bool sqlite = gh_db_kind_of(db) == GH_DB_SQLITE;
    if (sqlite && gh_db_exec(db, "PRAGMA cache_size = -262144") != GH_OK)
        goto out;
    char hash[GH_HASH_BYTES];
    if (gh_password_hash("bench-password-not-for-production", hash) != GH_OK)
        goto out;
    int64_t now = (int64_t)time(NULL);
    printf("seeding %s: %lld users, %d service providers, %d rows per transaction\n", cfg.db_path,
           cfg.users, cfg.providers, cfg.batch);
    fflush(stdout);
    if (make_providers(db, pv, cfg.providers, now) != GH_OK) {
        fprintf(stderr, "gh-seed: could not create the service providers\n");
        goto out;
    }
    gen_state g = {.pair_count = pairs,
                   .pv = pv,
                   .np = cfg.providers,
                   .now = now,
                   .first_created = now - 3 * YEAR,
                   .total = cfg.users > 0 ? cfg.users : 1,
                   .hash = hash};
    if (load_users(db, &cfg, &g) != GH_OK)
        goto out;
    double t = now_s();
    if (gh_db_exec(db, sqlite ? "PRAGMA wal_checkpoint(TRUNCATE)" : "VACUUM ANALYZE") != GH_OK)
        goto out;
    printf("%s: %.1f s\n", sqlite ? "checkpoint" : "vacuum analyze", now_s() - t);
    rc = 0;
out:
    free(pv);
    free(pairs);
    gh_db_close(db);
    return rc;
}
